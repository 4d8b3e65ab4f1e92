// SPDX-License-Identifier: GPL-2.0
/*
 * Your module for the pilab lab latency
 *
 * Each press of the button toggles the LED, from the path named at load
 * time: path=hardirq (the interrupt handler), path=tasklet (a tasklet the
 * handler schedules) or path=thread (the IRQ's own thread). pilab loads it
 * once per path, presses the button many times and times each press, from
 * the button's edge to the LED's write, in the kernel's trace. This starting
 * point takes the lines, checks path and finds the button's IRQ. What is
 * left is the lesson: the three paths (TODO 1 to 4).
 *
 * Build it:  make -C /lib/modules/$(uname -r)/build M=$PWD modules
 * Check it:  pilab check latency .
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gpio.h>
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

/* Global GPIO numbers (the header's BCM number plus its chip's base). */
static int led = 4;
module_param(led, int, 0444);
MODULE_PARM_DESC(led, "Global GPIO number of the LED");

static int button = 17;
module_param(button, int, 0444);
MODULE_PARM_DESC(button, "Global GPIO number of the button");

static char *path = "hardirq";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "Who toggles the LED: hardirq, tasklet or thread");

enum { PATH_HARDIRQ, PATH_TASKLET, PATH_THREAD };

static const char * const path_names[] = { "hardirq", "tasklet", "thread" };

static int chosen;	/* which of path_names */
static int button_irq = -1;
static bool led_on;

/*
 * Toggle the LED: every path calls this, from one context at a time (one
 * IRQ's handler, one tasklet, one thread never run twice at once). Do not
 * print here: a printk() takes longer than the path you are timing.
 */
static void __maybe_unused toggle_led(void)
{
	led_on = !led_on;
	gpio_set_value(led, led_on);
}

/*
 * TODO 1: the tasklet (for path=tasklet): a function
 *	static void latency_tasklet_fn(struct tasklet_struct *t)
 * that calls toggle_led(), and a struct tasklet_struct set up with
 * tasklet_setup() in latency_init().
 *
 * TODO 2: the hard IRQ handler,
 *	static irqreturn_t button_isr(int irq, void *dev_id)
 * path=hardirq: toggle_led() and return IRQ_HANDLED; path=tasklet:
 * tasklet_schedule() and return IRQ_HANDLED; path=thread: return
 * IRQ_WAKE_THREAD. And the thread function (path=thread), which toggles the
 * LED in process context and returns IRQ_HANDLED.
 */

/* Take one line: an output starting low, or an input. */
static int take_line(int gpio, const char *label, bool output)
{
	int ret;

	if (!gpio_to_desc(gpio)) {
		pr_err("%s: no GPIO %d on this machine\n", label, gpio);
		return -ENODEV;
	}
	ret = gpio_request(gpio, label);
	if (ret) {
		pr_err("%s: cannot request GPIO %d: %d\n", label, gpio, ret);
		return ret;
	}
	ret = output ? gpio_direction_output(gpio, 0) : gpio_direction_input(gpio);
	if (ret) {
		pr_err("%s: cannot set the direction of GPIO %d: %d\n", label, gpio, ret);
		gpio_free(gpio);
	}
	return ret;
}

static int __init latency_init(void)
{
	int ret;

	/* Check every parameter before taking anything. */
	chosen = match_string(path_names, ARRAY_SIZE(path_names), path);
	if (chosen < 0) {
		pr_err("path '%s': not hardirq, tasklet or thread\n", path);
		return -EINVAL;
	}
	if (led < 0 || button < 0 || led == button) {
		pr_err("led %d, button %d: two different GPIO numbers needed\n", led, button);
		return -EINVAL;
	}

	ret = take_line(led, KBUILD_MODNAME "-led", true);
	if (ret)
		return ret;
	ret = take_line(button, KBUILD_MODNAME "-button", false);
	if (ret)
		goto err_led;
	ret = gpio_to_irq(button);
	if (ret < 0) {
		pr_err("GPIO %d has no IRQ: %d\n", button, ret);
		goto err_button;
	}
	button_irq = ret;

	/*
	 * TODO 3: request the button's IRQ with request_threaded_irq(): your
	 * handler, the thread function only for path=thread (NULL otherwise),
	 * IRQF_TRIGGER_RISING, plus IRQF_ONESHOT with a thread (the line stays
	 * masked until the thread has run), a name and a dev_id. On failure,
	 * goto err_button.
	 */

	pr_info("led %d, button %d (irq %d), path %s\n", led, button, button_irq,
		path_names[chosen]);
	return 0;

err_button:
	gpio_free(button);
err_led:
	gpio_free(led);
	return ret;
}

static void __exit latency_exit(void)
{
	/*
	 * TODO 4: free_irq() with the dev_id you requested it with, then
	 * tasklet_kill(): after free_irq() no handler can schedule the tasklet
	 * again, and tasklet_kill() waits for one that is pending or running.
	 */

	gpio_free(button);
	gpio_set_value(led, 0);
	gpio_free(led);
}

module_init(latency_init);
module_exit(latency_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A button toggles an LED through a chosen path (pilab lab latency)");
