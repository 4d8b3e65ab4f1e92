// SPDX-License-Identifier: GPL-2.0
/*
 * Your module for the pilab lab gpio_keys
 *
 * A button that types: each press of the button on GPIO `button` becomes
 * one key (`code`, KEY_ENTER by default) on /dev/input/eventN, however much
 * the contact bounces. This starting point takes the line, finds its IRQ
 * and registers the input device. What is left is the lesson: the debounce
 * and the reports (TODO 1 to 4).
 *
 * Build it:  make -C /lib/modules/$(uname -r)/build M=$PWD modules
 * Check it:  pilab check gpio_keys .
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gpio.h>
#include <linux/gpio/consumer.h>
#include <linux/input.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/workqueue.h>

/* A global GPIO number (the header's BCM number plus its chip's base). */
static int button = 17;
module_param(button, int, 0444);
MODULE_PARM_DESC(button, "Global GPIO number of the button");

static unsigned int code = KEY_ENTER;
module_param(code, uint, 0444);
MODULE_PARM_DESC(code, "Key code the button reports (default KEY_ENTER)");

static unsigned int debounce_ms = 5;
module_param(debounce_ms, uint, 0444);
MODULE_PARM_DESC(debounce_ms, "How long the line must keep still, in ms (default 5)");

static struct gpio_desc *desc;
static int button_irq = -1;
static unsigned long delay;	/* jiffies from the last edge to the read */
static struct input_dev *input;
static struct delayed_work debounce;

/*
 * TODO 1: the debounce's work (process context), run once the line kept
 * still for `delay`: read the level with gpiod_get_value_cansleep(desc)
 * and, if it differs from the last one reported, report it:
 *	input_report_key(input, code, level);
 *	input_sync(input);
 */
static void debounce_fn(struct work_struct *work)
{
}

/*
 * TODO 2: the IRQ handler, on both edges: report nothing here (the
 * contact is still bouncing), just push the read back to `delay` after
 * this edge: mod_delayed_work(system_wq, &debounce, delay).
 */
static irqreturn_t __maybe_unused button_isr(int irq, void *dev_id)
{
	return IRQ_HANDLED;
}

static int __init gpio_keys_init(void)
{
	int ret;

	if (button < 0 || code == KEY_RESERVED || code > KEY_MAX)
		return -EINVAL;
	if (!gpio_to_desc(button))
		return -ENODEV;
	ret = gpio_request(button, KBUILD_MODNAME "#button");
	if (ret)
		return ret;
	desc = gpio_to_desc(button);
	ret = gpiod_direction_input(desc);
	if (ret)
		goto err_free;

	/*
	 * TODO 3: the chip may debounce for you: gpiod_set_debounce(desc,
	 * debounce_ms * 1000) returns 0 then, and `delay` stays 0. Most chips
	 * (a Pi's, pilab's vgpio) return an error: then the delay is yours.
	 */
	delay = msecs_to_jiffies(debounce_ms);

	ret = gpiod_to_irq(desc);
	if (ret <= 0) {
		ret = ret ? ret : -ENXIO;
		goto err_free;
	}
	button_irq = ret;

	INIT_DELAYED_WORK(&debounce, debounce_fn);
	input = input_allocate_device();
	if (!input) {
		ret = -ENOMEM;
		goto err_free;
	}
	input->name = "gpio_keys";
	input->id.bustype = BUS_HOST;
	input_set_capability(input, EV_KEY, code);
	ret = input_register_device(input);
	if (ret) {
		input_free_device(input);
		goto err_free;
	}

	/*
	 * TODO 4: request button_irq with button_isr on both edges
	 * (IRQF_TRIGGER_RISING | IRQF_TRIGGER_FALLING), last: its handler
	 * queues the work, which reports to the device. On failure,
	 * input_unregister_device() and free the line. And in exit, free_irq()
	 * first, then cancel_delayed_work_sync(), then the device, then the line.
	 */
	pr_info("button %d (irq %d), code %u\n", button, button_irq, code);
	return 0;

err_free:
	gpio_free(button);
	return ret;
}

static void __exit gpio_keys_exit(void)
{
	cancel_delayed_work_sync(&debounce);
	input_unregister_device(input);
	gpio_free(button);
}

module_init(gpio_keys_init);
module_exit(gpio_keys_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pilab lab gpio_keys: a GPIO button that types");
