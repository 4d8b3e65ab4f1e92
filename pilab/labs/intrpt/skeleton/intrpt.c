// SPDX-License-Identifier: GPL-2.0
/*
 * intrpt.c - your module for the pilab lab intrpt (the guide's 15.2)
 *
 * Button 1 switches the LED on, button 2 switches it off, from the buttons'
 * interrupt handler. This starting point already takes the three GPIO lines
 * and finds the IRQ number behind each button. What is left is the lesson:
 * the interrupt handler, request_irq() and free_irq() (TODO 1 to 3).
 *
 * Build it:  make -C /lib/modules/$(uname -r)/build M=$PWD modules
 * Check it:  pilab check intrpt .
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

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

static const char * const button_labels[] = {
	KBUILD_MODNAME "-button1", KBUILD_MODNAME "-button2",
};

static int button_irqs[] = { -1, -1 };

/*
 * TODO 1: write the interrupt handler,
 *
 *	static irqreturn_t button_isr(int irq, void *dev_id)
 *
 * It runs in hard IRQ context, with this line's interrupts held off: it
 * must be short and must not sleep. Tell the buttons apart (by irq, or by
 * what you pass as dev_id), switch the LED with gpio_set_value(led, 1) for
 * button 1 and gpio_set_value(led, 0) for button 2, and return IRQ_HANDLED.
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

static int __init intrpt_init(void)
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
	 * TODO 2: ask for both buttons' interrupts with request_irq(): the IRQ
	 * number (button_irqs[i]), your handler, IRQF_TRIGGER_RISING (a press
	 * takes the line from low to high: one press, one interrupt), a name
	 * (it is shown in /proc/interrupts; button_labels[i] will do) and a
	 * dev_id of your choice. If the second request fails, the first must
	 * be freed before the lines are (add a label to the unwind below).
	 */

	pr_info("led %d, buttons %d %d, irqs %d %d\n", led, buttons[0], buttons[1],
		button_irqs[0], button_irqs[1]);
	return 0;

err_buttons:
	while (--i >= 0)
		gpio_free(buttons[i]);
	gpio_free(led);
	return ret;
}

static void __exit intrpt_exit(void)
{
	/*
	 * TODO 3: free_irq() both interrupts, each with the dev_id it was
	 * requested with, before the lines go: once free_irq() returns no
	 * handler runs any more, so none can touch a freed LED line.
	 */

	gpio_free(buttons[1]);
	gpio_free(buttons[0]);
	gpio_set_value(led, 0);
	gpio_free(led);
}

module_init(intrpt_init);
module_exit(intrpt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Buttons switch an LED from their interrupt handler (pilab lab intrpt)");
