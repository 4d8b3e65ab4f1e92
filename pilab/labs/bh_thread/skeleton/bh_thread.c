// SPDX-License-Identifier: GPL-2.0
/*
 * bh_thread.c - your module for the pilab lab bh_thread (the guide's 15.4)
 *
 * Button 1 switches the LED on, button 2 switches it off; this time the work
 * is done in a kernel thread the IRQ core runs for you. request_threaded_irq()
 * takes two handlers: the top half, in hard IRQ context, only says "wake the
 * thread"; the thread function then runs in process context, where it may
 * sleep. This starting point takes the GPIO lines and finds each button's
 * IRQ number; the two handlers, request_threaded_irq() and free_irq() are the
 * lesson (TODO 1 to 3).
 *
 * Build it:  make -C /lib/modules/$(uname -r)/build M=$PWD modules
 * Check it:  pilab check bh_thread .
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/gpio.h>
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

/*
 * Global GPIO numbers: the header's BCM number plus its chip's base (0 on
 * old kernels, 512 or 571 on a Pi with a recent kernel). pilab passes them.
 */
static int led = 4;
module_param(led, int, 0444);
MODULE_PARM_DESC(led, "Global GPIO number of the LED");

static int buttons[2] = { 17, 18 };
static unsigned int nr_buttons = ARRAY_SIZE(buttons);
module_param_array(buttons, int, &nr_buttons, 0444);
MODULE_PARM_DESC(buttons, "Global GPIO numbers of button 1 (LED on) and button 2 (LED off)");

static unsigned int work_ms = 500;
module_param(work_ms, uint, 0444);
MODULE_PARM_DESC(work_ms, "How long the thread works, in ms");

static const char * const button_labels[] = {
	KBUILD_MODNAME "-button1", KBUILD_MODNAME "-button2",
};

static int button_irqs[] = { -1, -1 };

/*
 * TODO 1: write the two handlers.
 *
 *	static irqreturn_t button_top_half(int irq, void *dev_id)
 *
 * runs first, in hard IRQ context: do nothing slow, return IRQ_WAKE_THREAD.
 *
 *	static irqreturn_t button_thread_fn(int irq, void *dev_id)
 *
 * runs in the IRQ's thread (ps shows it as irq/<N>-<name>): switch the LED
 * (gpio_set_value(led, 1) for button 1, 0 for button 2), stand for slow work
 * with msleep(work_ms) (a thread may sleep) and return IRQ_HANDLED.
 */

/* Take one line: an output starting low, or an input. */
static int take_line(int gpio, const char *label, bool output)
{
	int ret;

	/* gpio_request() may not fail for a number no chip has: ask first. */
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

static int __init bh_thread_init(void)
{
	int ret;
	int i;

	if (nr_buttons != ARRAY_SIZE(buttons)) {
		pr_err("buttons= needs exactly two GPIO numbers\n");
		return -EINVAL;
	}

	ret = take_line(led, KBUILD_MODNAME "-led", true);
	if (ret)
		return ret;

	for (i = 0; i < ARRAY_SIZE(buttons); i++) {
		ret = take_line(buttons[i], button_labels[i], false);
		if (ret)
			goto err_buttons;
		ret = gpio_to_irq(buttons[i]);
		if (ret < 0) {
			pr_err("%s: GPIO %d has no IRQ: %d\n", button_labels[i], buttons[i], ret);
			gpio_free(buttons[i]);
			goto err_buttons;
		}
		button_irqs[i] = ret;
	}

	/*
	 * TODO 2: request both IRQs with request_threaded_irq(): the IRQ
	 * number, your top half, your thread function, IRQF_TRIGGER_RISING
	 * (one press, one interrupt), a name (button_labels[i]) and a dev_id.
	 * IRQF_ONESHOT is only required when there is no top half. If the
	 * second request fails, free the first before the lines (unwind below).
	 */

	pr_info("led %d, buttons %d %d, irqs %d %d, work_ms %u\n", led, buttons[0],
		buttons[1], button_irqs[0], button_irqs[1], work_ms);
	return 0;

err_buttons:
	while (--i >= 0)
		gpio_free(buttons[i]);
	gpio_free(led);
	return ret;
}

static void __exit bh_thread_exit(void)
{
	/*
	 * TODO 3: free_irq() both IRQs, with the same dev_id as requested (the
	 * guide passes NULL here and the kernel warns). free_irq() waits for a
	 * running thread function and stops the thread; do it before the lines
	 * go.
	 */

	gpio_free(buttons[1]);
	gpio_free(buttons[0]);
	gpio_set_value(led, 0);
	gpio_free(led);
}

module_init(bh_thread_init);
module_exit(bh_thread_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Buttons switch an LED from a threaded IRQ (pilab lab bh_thread)");
