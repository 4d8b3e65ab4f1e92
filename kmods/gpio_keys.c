// SPDX-License-Identifier: GPL-2.0
/*
 * A button that types: a GPIO line's interrupt becomes a key on evdev
 *
 * Where chapter 15 (GPIO interrupts) meets chapter 16 (input devices) of
 * The Linux Kernel Module Programming Guide: a shutdown button, an arcade
 * panel, a foot pedal. The kernel's own drivers/input/keyboard/gpio_keys.c
 * does this for the device tree; this module is the lab's small version.
 *
 * A real contact bounces: the line makes 5 to 20 edges in the first
 * milliseconds of a press. So the interrupt (both edges) reports nothing
 * itself: it (re)starts a delayed work, and only when the line has kept
 * still for debounce_ms does the work read the level and report a change.
 * The chip is asked first (gpiod_set_debounce()): if it debounces in
 * hardware the work runs at once; most chips (the Pi's, pilab's vgpio)
 * say no and the delay is ours.
 *
 * Every report is EV_KEY then SYN_REPORT. No EV_REP: a held button is one
 * key down, not a typist holding a key.
 *
 * The line is requested by number (gpio_request(), as the other labs do:
 * the number is a parameter), and from then on used through its descriptor
 * (gpio_to_desc(), gpiod_*()).
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

#include "lab_pins.h"

#define DEBOUNCE_MAX_MS 1000

static int button = 17;
module_param(button, int, 0444);
MODULE_PARM_DESC(button, "Global GPIO number of the button (default 17)");

static unsigned int code = KEY_ENTER;
module_param(code, uint, 0444);
MODULE_PARM_DESC(code, "Key code the button reports (default 28, KEY_ENTER)");

static unsigned int debounce_ms = 5;
module_param(debounce_ms, uint, 0444);
MODULE_PARM_DESC(debounce_ms,
		 "How long the line must keep still, 0.." __stringify(DEBOUNCE_MAX_MS) " ms (default 5)");

#define BUTTON_NAME KBUILD_MODNAME "#button"

struct gpio_keys {
	int gpio;
	struct gpio_desc *desc;
	int irq;
	unsigned int code;
	unsigned long delay;	/* jiffies from the last edge to the read */
	bool pressed;		/* last state reported; only the work touches it */
	struct input_dev *input;
	struct delayed_work work;
};

static struct gpio_keys gpio_keys_dev;

/*
 * Process context, after the line kept still for the delay. One work item
 * never runs on two CPUs at once, so 'pressed' needs no lock.
 */
static void gpio_keys_work_fn(struct work_struct *work)
{
	struct gpio_keys *dev = container_of(to_delayed_work(work),
					     struct gpio_keys, work);
	int level = gpiod_get_value_cansleep(dev->desc);

	if (level < 0 || !!level == dev->pressed)
		return;
	dev->pressed = level;
	input_report_key(dev->input, dev->code, level);
	input_sync(dev->input);
}

/* Every edge pushes the read back: it happens debounce_ms after the last. */
static irqreturn_t gpio_keys_isr(int irq, void *dev_id)
{
	struct gpio_keys *dev = dev_id;

	mod_delayed_work(system_wq, &dev->work, dev->delay);
	return IRQ_HANDLED;
}

static int __init check_params(void)
{
	if (button < 0) {
		pr_err("button GPIO %d: invalid number (error %d)\n", button, -EINVAL);
		return -EINVAL;
	}
	if (code == KEY_RESERVED || code > KEY_MAX) {
		pr_err("code %u: not a key code 1..%d (error %d)\n", code, KEY_MAX,
		       -EINVAL);
		return -EINVAL;
	}
	if (debounce_ms > DEBOUNCE_MAX_MS) {
		pr_err("debounce_ms %u: more than %d (error %d)\n", debounce_ms,
		       DEBOUNCE_MAX_MS, -EINVAL);
		return -EINVAL;
	}
	return 0;
}

/* Hardware debounce if the chip takes it, else ours: the work's delay. */
static void __init debounce_setup(struct gpio_keys *dev)
{
	int ret;

	dev->delay = 0;
	if (!debounce_ms)
		return;
	ret = gpiod_set_debounce(dev->desc, debounce_ms * USEC_PER_MSEC);
	if (!ret) {
		pr_info("GPIO %d: the chip debounces %u ms\n", dev->gpio, debounce_ms);
		return;
	}
	dev->delay = msecs_to_jiffies(debounce_ms);
	pr_info("GPIO %d: the chip cannot debounce (error %d), software does %u ms\n",
		dev->gpio, ret, debounce_ms);
}

static int __init button_setup(struct gpio_keys *dev)
{
	int ret;

	ret = lab_pin_request(dev->gpio, BUTTON_NAME, false);
	if (ret)
		return ret;
	dev->desc = gpio_to_desc(dev->gpio);
	debounce_setup(dev);

	ret = gpiod_to_irq(dev->desc);
	if (ret <= 0) {
		ret = ret ? ret : -ENXIO;
		pr_err("button GPIO %d: no IRQ for it (error %d)\n", dev->gpio, ret);
		goto err_free;
	}
	dev->irq = ret;
	return 0;

err_free:
	gpio_free(dev->gpio);
	return ret;
}

static int __init input_setup(struct gpio_keys *dev)
{
	int ret;

	dev->input = input_allocate_device();
	if (!dev->input)
		return -ENOMEM;

	dev->input->name = "pilab gpio_keys";
	dev->input->phys = KBUILD_MODNAME "/input0";
	dev->input->id.bustype = BUS_HOST;
	input_set_capability(dev->input, EV_KEY, dev->code);

	ret = input_register_device(dev->input);
	if (ret) {
		pr_err("cannot register the input device (error %d)\n", ret);
		goto err_free;
	}
	return 0;

err_free:
	input_free_device(dev->input);
	return ret;
}

static int __init gpio_keys_init(void)
{
	struct gpio_keys *dev = &gpio_keys_dev;
	int ret;

	ret = check_params();
	if (ret)
		return ret;

	dev->gpio = button;
	dev->code = code;
	dev->pressed = false;
	INIT_DELAYED_WORK(&dev->work, gpio_keys_work_fn);

	ret = button_setup(dev);
	if (ret)
		return ret;
	ret = input_setup(dev);
	if (ret)
		goto err_button;

	/* Last: the handler queues the work, which reports to the device. */
	ret = request_any_context_irq(dev->irq, gpio_keys_isr,
				      IRQF_TRIGGER_RISING | IRQF_TRIGGER_FALLING,
				      BUTTON_NAME, dev);
	if (ret < 0) {
		pr_err("button GPIO %d: cannot request IRQ %d (error %d)\n",
		       dev->gpio, dev->irq, ret);
		goto err_input;
	}

	/* A button held at load time: read it once. */
	mod_delayed_work(system_wq, &dev->work, 0);
	pr_info("button %d (irq %d), code %u\n", dev->gpio, dev->irq, dev->code);
	return 0;

err_input:
	input_unregister_device(dev->input);
err_button:
	gpio_free(dev->gpio);
	return ret;
}

static void __exit gpio_keys_exit(void)
{
	struct gpio_keys *dev = &gpio_keys_dev;

	/*
	 * IRQ first, so no edge queues the work again; then wait for a
	 * pending or running read; then the device it reports to.
	 */
	free_irq(dev->irq, dev);
	cancel_delayed_work_sync(&dev->work);
	input_unregister_device(dev->input);
	gpio_free(dev->gpio);
}

module_init(gpio_keys_init);
module_exit(gpio_keys_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A GPIO button reported as a debounced key through evdev");
