// SPDX-License-Identifier: GPL-2.0
/*
 * bottomhalf.c - your module for the pilab lab bottomhalf (the guide's 15.3)
 *
 * Button 1 switches the LED on, button 2 switches it off. The top half, the
 * interrupt handler, is given: it switches the LED at once. The slow part of
 * the work belongs in a bottom half that the kernel runs a little later, with
 * the line's interrupts enabled again. Writing that bottom half, and making
 * sure it is gone when the module is, is the lesson (TODO 1 to 4).
 *
 * Any bottom half the kernel offers will do: a tasklet (the guide's choice),
 * or a work item on a workqueue (system_wq, or system_bh_wq since 6.9).
 *
 * Build it:  make -C /lib/modules/$(uname -r)/build M=$PWD modules
 * Check it:  pilab check bottomhalf .
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
#include <linux/workqueue.h>

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
MODULE_PARM_DESC(work_ms, "How long the bottom half works, in ms");

static const char * const button_labels[] = {
	KBUILD_MODNAME "-button1", KBUILD_MODNAME "-button2",
};

static int button_irqs[] = { -1, -1 };

/*
 * TODO 1: declare your bottom half and write its function. For a tasklet:
 *
 *	static struct tasklet_struct bh_tasklet;
 *	static void bh_fn(struct tasklet_struct *t) { ... }
 *
 * For a work item: a struct work_struct and void bh_fn(struct work_struct *).
 * Let the function stand for slow work: mdelay(work_ms) (a tasklet runs in
 * softirq context and must not sleep; a work item may msleep()).
 */

/* The top half: hard IRQ context, short, never sleeps. dev_id is the button's number. */
static irqreturn_t button_isr(int irq, void *dev_id)
{
	long button = (long)dev_id;

	gpio_set_value(led, button == 1);

	/*
	 * TODO 2: hand the rest to your bottom half: tasklet_schedule(), or
	 * queue_work() for a work item.
	 */

	return IRQ_HANDLED;
}

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

/* One button: its line, its IRQ and our top half on it (rising edge). */
static int __init take_button(int i)
{
	int ret;

	ret = take_line(buttons[i], button_labels[i], false);
	if (ret)
		return ret;
	ret = gpio_to_irq(buttons[i]);
	if (ret < 0) {
		pr_err("%s: GPIO %d has no IRQ: %d\n", button_labels[i], buttons[i], ret);
		goto err_free;
	}
	button_irqs[i] = ret;
	ret = request_irq(button_irqs[i], button_isr, IRQF_TRIGGER_RISING,
			  button_labels[i], (void *)(long)(i + 1));
	if (ret) {
		pr_err("%s: cannot request IRQ %d: %d\n", button_labels[i], button_irqs[i], ret);
		goto err_free;
	}
	return 0;

err_free:
	gpio_free(buttons[i]);
	return ret;
}

static void drop_button(int i)
{
	free_irq(button_irqs[i], (void *)(long)(i + 1));	/* the dev_id it was requested with */
	gpio_free(buttons[i]);
}

static int __init bottomhalf_init(void)
{
	int ret;

	if (nr_buttons != ARRAY_SIZE(buttons)) {
		pr_err("buttons= needs exactly two GPIO numbers\n");
		return -EINVAL;
	}

	/*
	 * TODO 3: set up your bottom half before any IRQ can schedule it:
	 * tasklet_setup(), or INIT_WORK().
	 */

	ret = take_line(led, KBUILD_MODNAME "-led", true);
	if (ret)
		return ret;
	ret = take_button(0);
	if (ret)
		goto err_led;
	ret = take_button(1);
	if (ret)
		goto err_button1;

	pr_info("led %d, buttons %d %d, irqs %d %d, work_ms %u\n", led, buttons[0],
		buttons[1], button_irqs[0], button_irqs[1], work_ms);
	return 0;

err_button1:
	drop_button(0);
	/* (button 1 may already have scheduled the bottom half: see TODO 4) */
err_led:
	gpio_free(led);
	return ret;
}

static void __exit bottomhalf_exit(void)
{
	drop_button(1);
	drop_button(0);

	/*
	 * TODO 4: the bottom half may still be scheduled or running, and its
	 * code goes away with the module. Wait for it here: tasklet_kill(), or
	 * cancel_work_sync(). Why here, after free_irq() and not before?
	 */

	gpio_set_value(led, 0);
	gpio_free(led);
}

module_init(bottomhalf_init);
module_exit(bottomhalf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A top half switches an LED, a bottom half does the slow work (pilab lab bottomhalf)");
