// SPDX-License-Identifier: GPL-2.0
/*
 * Blink the keyboard LEDs until the module is unloaded.
 *
 * Lab module after "Flashing keyboard LEDs" in The Linux Kernel Module
 * Programming Guide: a timer periodically asks the foreground virtual
 * console to set its LEDs with the KDSETLED ioctl (see vt_ioctl() in
 * drivers/tty/vt/vt_ioctl.c and setledstate() in drivers/tty/vt/keyboard.c).
 * KDSETLED with a value 0..7 puts the console in LED_SHOW_IOCTL mode and
 * lights exactly those LEDs (bit0 scroll, bit1 num, bit2 caps lock); any
 * value above 7 goes back to LED_SHOW_FLAGS, where the LEDs show the real
 * keyboard state again.
 *
 * Differences from the guide's code, and why:
 * - The guide uses vc_cons[fg_console].d->port.tty as is.  That pointer is
 *   NULL until someone opens the console's tty (VMs with a serial console,
 *   headless boards), and the guide oopses.  We look it up under
 *   console_lock, take a reference with tty_port_tty_get(), refuse to load
 *   with -ENODEV if there is none, and drop the reference on unload.  The
 *   reference keeps the tty (and through it the vc) alive even if every
 *   file on it is closed meanwhile.
 * - The guide calls the ioctl from the timer, i.e. in softirq context, on
 *   behalf of whatever task the timer interrupted.  KDSETLED itself only
 *   takes a spinlock (setledstate() under led_lock) and schedules the
 *   keyboard tasklet, so it does not sleep.  But vt_ioctl() grants it only
 *   if current has the tty as its controlling tty or has
 *   CAP_SYS_TTY_CONFIG, and in a timer callback current is just the task
 *   that happened to be interrupted: the LEDs changed or not (-EPERM)
 *   depending on who was running, and a granted capable() check was
 *   charged to that unrelated task (audit, PF_SUPERPRIV).  Our timer only
 *   queues a work item; the work runs in a kworker, a kernel thread with
 *   the kernel's own credentials, so the check always passes, on our
 *   behalf.
 * - The guide alternates "all on" with "real state"; we alternate "LEDs in
 *   mask on" with "all off", so the chosen LEDs visibly blink whatever the
 *   lock state is.  The real state is restored (value > 7) on unload, from
 *   the kworker as well, after the timer is gone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/console.h>
#include <linux/jiffies.h>
#include <linux/kd.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/timer.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_port.h>
#include <linux/console_struct.h>	/* after kd.h and tty.h, which it needs */
#include <linux/version.h>
#include <linux/vt_kern.h>
#include <linux/workqueue.h>

/*
 * timer_shutdown_sync() (6.2+) also makes any later re-arm a no-op.  On
 * 6.1 del_timer_sync() is enough here: the only re-arm is done by the
 * callback itself, and del_timer_sync() waits for a running callback and
 * then deletes the timer it re-armed.
 */
#if LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL < 2
#define kbleds_timer_stop(t) del_timer_sync(t)
#else
#define kbleds_timer_stop(t) timer_shutdown_sync(t)
#endif

#define KBLEDS_DELAY_MIN_MS	10
#define KBLEDS_DELAY_MAX_MS	10000
#define KBLEDS_ALL_LEDS		0x07
#define KBLEDS_RESTORE_LEDS	0xff	/* > 7: back to LED_SHOW_FLAGS */

static unsigned int delay_ms = 200;	/* the guide's HZ / 5 */
module_param(delay_ms, uint, 0444);
MODULE_PARM_DESC(delay_ms, "LED toggle interval in ms (10..10000, default 200)");

static unsigned int led_mask = KBLEDS_ALL_LEDS;
module_param_named(mask, led_mask, uint, 0444);
MODULE_PARM_DESC(mask, "LEDs to blink: bit0 scroll, bit1 num, bit2 caps lock (1..7, default 7)");

struct kbleds {
	struct tty_struct *tty;		/* referenced tty of the console */
	unsigned int console;		/* VT index, 0 is tty1 */
	unsigned int mask;
	unsigned long period;		/* jiffies */
	struct timer_list timer;
	struct work_struct work;
	bool lit;			/* only used by the work */
	bool stopping;			/* next work run restores the LEDs */
	int last_err;			/* only used by the work */
};

static struct kbleds kbleds;

static void kbleds_work_fn(struct work_struct *work)
{
	struct kbleds *kb = container_of(work, struct kbleds, work);
	unsigned long leds;
	int ret;

	if (READ_ONCE(kb->stopping)) {
		leds = KBLEDS_RESTORE_LEDS;
	} else {
		kb->lit = !kb->lit;
		leds = kb->lit ? kb->mask : 0;
	}

	/* In a kworker: current is our kernel thread, capable() is true. */
	ret = kb->tty->ops->ioctl(kb->tty, KDSETLED, leds);
	if (ret && ret != kb->last_err)
		pr_warn("KDSETLED %#lx on tty%u failed: %d\n",
			leds, kb->console + 1, ret);
	kb->last_err = ret;
}

/*
 * Softirq context: current is whichever task the timer interrupted, so the
 * ioctl's permission check would judge that task.  Hand the ioctl to a
 * kworker (of the high priority pool, so busy user tasks delay the
 * blinking less).
 * Re-arm from the previous expiry so the period does not drift, but do not
 * try to catch up on periods missed while the system was stalled.
 */
static void kbleds_timer_fn(struct timer_list *t)
{
	struct kbleds *kb = container_of(t, struct kbleds, timer);
	unsigned long next = t->expires + kb->period;

	queue_work(system_highpri_wq, &kb->work);
	if (time_before_eq(next, jiffies))
		next = jiffies + kb->period;
	mod_timer(t, next);
}

static int kbleds_check_params(void)
{
	if (delay_ms < KBLEDS_DELAY_MIN_MS || delay_ms > KBLEDS_DELAY_MAX_MS) {
		pr_err("delay_ms=%u out of range %u..%u\n",
		       delay_ms, KBLEDS_DELAY_MIN_MS, KBLEDS_DELAY_MAX_MS);
		return -EINVAL;
	}
	if (!led_mask || led_mask > KBLEDS_ALL_LEDS) {
		pr_err("mask=%u out of range 1..7 (bit0 scroll, bit1 num, bit2 caps lock)\n",
		       led_mask);
		return -EINVAL;
	}
	return 0;
}

/* Reference the tty of the foreground console, or NULL if it is not open. */
static struct tty_struct *kbleds_get_tty(unsigned int *console)
{
	struct tty_struct *tty = NULL;
	struct vc_data *vc;

	console_lock();		/* protects fg_console and vc_cons[] */
	*console = fg_console;
	vc = vc_cons[*console].d;
	if (vc)
		tty = tty_port_tty_get(&vc->port);
	console_unlock();

	return tty;
}

static int __init kbleds_init(void)
{
	struct kbleds *kb = &kbleds;
	int ret;

	ret = kbleds_check_params();
	if (ret)
		return ret;

	kb->tty = kbleds_get_tty(&kb->console);
	if (!kb->tty) {
		pr_err("tty%u (console %u, the foreground VT) is not open: open it first, e.g. keep 'exec 3<>/dev/tty%u' open in a root shell, then load again\n",
		       kb->console + 1, kb->console, kb->console + 1);
		return -ENODEV;
	}

	kb->mask = led_mask;
	kb->period = msecs_to_jiffies(delay_ms);
	INIT_WORK(&kb->work, kbleds_work_fn);
	timer_setup(&kb->timer, kbleds_timer_fn, 0);
	mod_timer(&kb->timer, jiffies + kb->period);

	pr_info("blinking tty%u (console %u) LEDs mask=%#x every %u ms\n",
		kb->console + 1, kb->console, kb->mask, delay_ms);
	return 0;
}

static void __exit kbleds_exit(void)
{
	struct kbleds *kb = &kbleds;

	/* The timer first: afterwards nothing queues the work any more. */
	kbleds_timer_stop(&kb->timer);

	/*
	 * Queue one last run that restores the real LED state.  If a toggle
	 * is pending or running, queueing again still guarantees a run that
	 * sees stopping; flush_work() waits for it.
	 */
	WRITE_ONCE(kb->stopping, true);
	queue_work(system_highpri_wq, &kb->work);
	flush_work(&kb->work);

	tty_kref_put(kb->tty);
	pr_info("stopped, tty%u LEDs show the keyboard state again\n",
		kb->console + 1);
}

module_init(kbleds_init);
module_exit(kbleds_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Blink the keyboard LEDs of the foreground VT until unloaded");
