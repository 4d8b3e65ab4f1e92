// SPDX-License-Identifier: GPL-2.0
/*
 * kbleds.c - your module for the pilab lab kbleds ("Flashing keyboard LEDs")
 *
 * Blink the keyboard LEDs of the foreground virtual console until the module
 * is unloaded, then give them back to the keyboard. The console's tty is
 * asked to set its LEDs with the KDSETLED ioctl: a value 0..7 lights exactly
 * those LEDs (bit 0 Scroll, bit 1 Num, bit 2 Caps Lock); a value above 7
 * makes them show the real lock state again.
 *
 * Given: finding the console's tty, and holding a reference to it (the
 * guide's code crashes when that tty was never opened). The lesson is yours
 * (TODO 1 to 4): a timer for the rhythm, a work item for the ioctl, and a
 * clean stop that restores the LEDs.
 *
 * Build it:  make -C /lib/modules/$(uname -r)/build M=$PWD modules
 * Check it:  pilab check kbleds .
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/console.h>
#include <linux/jiffies.h>
#include <linux/kd.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/timer.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_port.h>
#include <linux/console_struct.h>	/* needs kd.h and tty.h first */
#include <linux/vt_kern.h>
#include <linux/workqueue.h>

#define BLINK_DELAY	msecs_to_jiffies(200)
#define ALL_LEDS_ON	0x07
#define RESTORE_LEDS	0xff

static struct tty_struct *tty;		/* the foreground console's, referenced */

/*
 * TODO 1: declare a struct timer_list and a struct work_struct.
 *
 * TODO 2: write their functions.
 *  - The work function runs in a kernel thread (process context): it may
 *    sleep, so it is where the ioctl belongs:
 *	tty->ops->ioctl(tty, KDSETLED, leds);
 *    with leds alternating between ALL_LEDS_ON and 0.
 *  - The timer function runs in softirq context and must not sleep (the
 *    ioctl may): let it queue the work item (schedule_work()) and re-arm
 *    itself with mod_timer(t, jiffies + BLINK_DELAY).
 */

/* Take a reference to the foreground console's tty; NULL if nobody opened it. */
static struct tty_struct *console_tty(unsigned int *console)
{
	struct tty_struct *found = NULL;
	struct vc_data *vc;

	console_lock();
	*console = fg_console;
	vc = vc_cons[fg_console].d;
	if (vc)
		found = tty_port_tty_get(&vc->port);
	console_unlock();
	return found;
}

static int __init kbleds_init(void)
{
	unsigned int console;

	tty = console_tty(&console);
	if (!tty) {
		pr_err("tty%u is not open: keep it open (exec 3<>/dev/tty%u) and load again\n",
		       console + 1, console + 1);
		return -ENODEV;
	}

	/*
	 * TODO 3: set up the work item (INIT_WORK()) and the timer
	 * (timer_setup()), then start the timer: mod_timer().
	 */

	pr_info("blinking the LEDs of tty%u\n", console + 1);
	return 0;
}

static void __exit kbleds_exit(void)
{
	/*
	 * TODO 4: stop, in this order, and think about why:
	 *  - the timer, for good, waiting for a running callback:
	 *    timer_shutdown_sync() (6.2+; del_timer_sync() before, and
	 *    del_timer*() are gone since 6.17: timer_delete_sync());
	 *  - the work item: cancel_work_sync() or flush_work();
	 *  - then restore the LEDs: KDSETLED with RESTORE_LEDS.
	 */

	tty_kref_put(tty);
	pr_info("stopped\n");
}

module_init(kbleds_init);
module_exit(kbleds_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Blink the keyboard LEDs until unloaded (pilab lab kbleds)");
