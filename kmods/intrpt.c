// SPDX-License-Identifier: GPL-2.0
/*
 * Handling GPIO with interrupts: the guide's first GPIO interrupt example
 *
 * Based upon the RPi example by Stefan Wendler (devnull@kaltpost.de)
 * from https://github.com/wendlers/rpi-kmod-samples, as presented in
 * The Linux Kernel Module Programming Guide, chapter 15.2.
 *
 * Press one button to turn on an LED and another to turn it off.
 *
 * Where this differs from the guide, and why:
 *  - gpio_request_array()/gpio_free_array() are gone since Linux 6.10:
 *    each line is requested on its own and released in reverse order.
 *  - The guide's error path freed the buttons with ARRAY_SIZE(leds), so
 *    button 2 stayed requested; it leaked button 1's IRQ when gpio_to_irq()
 *    failed for button 2. Here every step has its own unwind label.
 *  - free_irq() gets the same dev_id as request_irq() (the button).
 *  - The pins are parameters (global GPIO numbers), so any board works.
 *  - Rising edge only: one press (low to high) is one interrupt; the
 *    guide's falling edge only ran the handler again for nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gpio.h>
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

#include "lab_pins.h"

#define NR_BUTTONS 2

static int led = 4;
module_param(led, int, 0444);
MODULE_PARM_DESC(led, "Global GPIO number of the LED (default 4)");

static int buttons[NR_BUTTONS] = { 17, 18 };
static unsigned int nr_buttons = NR_BUTTONS;
module_param_array(buttons, int, &nr_buttons, 0444);
MODULE_PARM_DESC(buttons,
		 "Global GPIO numbers of the LED on and LED off buttons (default 17,18)");

/* Names used both as GPIO consumer labels and in /proc/interrupts. */
static const char * const button_names[NR_BUTTONS] = {
	KBUILD_MODNAME "#button1",
	KBUILD_MODNAME "#button2",
};

#define LED_NAME KBUILD_MODNAME "#led"

struct intrpt;

struct intrpt_button {
	struct intrpt *dev;
	const char *name;
	unsigned int nr;	/* 1 switches the LED on, 2 switches it off */
	int gpio;
	int irq;
};

struct intrpt {
	int led;
	struct intrpt_button buttons[NR_BUTTONS];
};

static struct intrpt intrpt_dev;

/* Hard IRQ context: gpio_set_value() must not sleep (checked at load). */
static irqreturn_t button_isr(int irq, void *dev_id)
{
	struct intrpt_button *b = dev_id;
	bool on = b->nr == 1;

	gpio_set_value(b->dev->led, on);
	pr_info("button %u -> LED %s\n", b->nr, on ? "on" : "off");

	return IRQ_HANDLED;
}

static int __init check_params(void)
{
	return lab_check_pins(led, buttons, nr_buttons, NR_BUTTONS);
}

static int __init led_setup(struct intrpt *dev)
{
	return lab_led_request(dev->led, LED_NAME);
}

static void led_teardown(struct intrpt *dev)
{
	gpio_set_value(dev->led, 0);
	gpio_free(dev->led);
}

static int __init button_setup(struct intrpt_button *b)
{
	int ret;

	ret = lab_pin_request(b->gpio, b->name, false);
	if (ret)
		return ret;

	ret = gpio_to_irq(b->gpio);
	if (ret <= 0) {
		ret = ret ? ret : -ENXIO;
		pr_err("%s GPIO %d: no IRQ for it (error %d)\n",
		       b->name, b->gpio, ret);
		goto err_free;
	}
	b->irq = ret;

	ret = request_irq(b->irq, button_isr, IRQF_TRIGGER_RISING, b->name, b);
	if (ret) {
		pr_err("%s GPIO %d: cannot request IRQ %d (error %d)\n",
		       b->name, b->gpio, b->irq, ret);
		goto err_free;
	}
	return 0;

err_free:
	gpio_free(b->gpio);
	return ret;
}

static void button_teardown(struct intrpt_button *b)
{
	/* Same dev_id as requested; waits for a running handler to return. */
	free_irq(b->irq, b);
	gpio_free(b->gpio);
}

static int __init intrpt_init(void)
{
	struct intrpt *dev = &intrpt_dev;
	int ret;
	int i;

	ret = check_params();
	if (ret)
		return ret;

	dev->led = led;
	for (i = 0; i < NR_BUTTONS; i++) {
		dev->buttons[i].dev = dev;
		dev->buttons[i].name = button_names[i];
		dev->buttons[i].nr = i + 1;
		dev->buttons[i].gpio = buttons[i];
		dev->buttons[i].irq = -1;
	}

	ret = led_setup(dev);
	if (ret)
		return ret;
	ret = button_setup(&dev->buttons[0]);
	if (ret)
		goto err_led;
	ret = button_setup(&dev->buttons[1]);
	if (ret)
		goto err_button1;

	pr_info("led %d, buttons %d %d, irqs %d %d\n", dev->led,
		dev->buttons[0].gpio, dev->buttons[1].gpio,
		dev->buttons[0].irq, dev->buttons[1].irq);
	return 0;

err_button1:
	button_teardown(&dev->buttons[0]);
err_led:
	led_teardown(dev);
	return ret;
}

static void __exit intrpt_exit(void)
{
	struct intrpt *dev = &intrpt_dev;

	/* IRQs first: once free_irq() returns no handler touches the LED. */
	button_teardown(&dev->buttons[1]);
	button_teardown(&dev->buttons[0]);
	led_teardown(dev);
	pr_info("unloaded\n");
}

module_init(intrpt_init);
module_exit(intrpt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Handle GPIO button interrupts to switch an LED");
