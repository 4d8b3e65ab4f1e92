// SPDX-License-Identifier: GPL-2.0
/*
 * Top and bottom half interrupt handling with a tasklet
 *
 * Based upon the RPi example by Stefan Wendler (devnull@kaltpost.de)
 * from https://github.com/wendlers/rpi-kmod-samples, as presented in
 * The Linux Kernel Module Programming Guide, chapter 15.3.
 *
 * Press one button to turn on an LED and another to turn it off. The top
 * half (hard IRQ) switches the LED and schedules a tasklet, the bottom
 * half, which busy-waits work_ms to stand for slow work.
 *
 * BH workqueues (6.9+) are meant to replace tasklets, but every
 * kernel this lab targets (6.1 to 6.12 and later) still has them, and they
 * are what the guide teaches.
 *
 * Where this differs from the guide, and why:
 *  - tasklet_setup() replaces DECLARE_TASKLET_OLD() (the callback now gets
 *    the tasklet, and from_tasklet() finds our data from it).
 *  - Unloading with the tasklet pending or running is safe, see
 *    bottomhalf_exit().
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

#include <linux/delay.h>
#include <linux/gpio.h>
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/printk.h>

#include "lab_pins.h"

#define NR_BUTTONS 2
#define WORK_MS_MAX 10000

static int led = 4;
module_param(led, int, 0444);
MODULE_PARM_DESC(led, "Global GPIO number of the LED (default 4)");

static int buttons[NR_BUTTONS] = { 17, 18 };
static unsigned int nr_buttons = NR_BUTTONS;
module_param_array(buttons, int, &nr_buttons, 0444);
MODULE_PARM_DESC(buttons,
		 "Global GPIO numbers of the LED on and LED off buttons (default 17,18)");

static unsigned int work_ms = 500;
module_param(work_ms, uint, 0444);
MODULE_PARM_DESC(work_ms, "Busy time of the bottom half in ms (default 500, max 10000)");

/* Names used both as GPIO consumer labels and in /proc/interrupts. */
static const char * const button_names[NR_BUTTONS] = {
	KBUILD_MODNAME "#button1",
	KBUILD_MODNAME "#button2",
};

#define LED_NAME KBUILD_MODNAME "#led"

struct bottomhalf;

struct bottomhalf_button {
	struct bottomhalf *dev;
	const char *name;
	unsigned int nr;	/* 1 switches the LED on, 2 switches it off */
	int gpio;
	int irq;
};

struct bottomhalf {
	int led;
	unsigned int work_ms;
	struct tasklet_struct tasklet;
	struct bottomhalf_button buttons[NR_BUTTONS];
};

static struct bottomhalf bottomhalf_dev;

/*
 * The bottom half runs in softirq context. mdelay() busy-waits: for
 * work_ms this CPU runs no other softirq (timers, networking, block I/O
 * completions, other tasklets) and nothing else of lower priority either;
 * only hard IRQs still get through. That is the lesson, not a pattern to
 * copy: slow work belongs in a thread (see bh_thread.c) or a workqueue.
 */
static void bottomhalf_tasklet_fn(struct tasklet_struct *t)
{
	struct bottomhalf *dev = from_tasklet(dev, t, tasklet);

	pr_info("bottom half start (softirq %d)\n", in_serving_softirq() ? 1 : 0);
	mdelay(dev->work_ms);
	pr_info("bottom half end\n");
}

/* Hard IRQ context: gpio_set_value() must not sleep (checked at load). */
static irqreturn_t button_isr(int irq, void *dev_id)
{
	struct bottomhalf_button *b = dev_id;
	bool on = b->nr == 1;

	gpio_set_value(b->dev->led, on);
	pr_info("top half: button %u -> LED %s\n", b->nr, on ? "on" : "off");

	/*
	 * Already scheduled and not yet started: this is a no-op, the
	 * tasklet runs once for both presses. Running: it is queued again
	 * and runs once more after the current run.
	 */
	tasklet_schedule(&b->dev->tasklet);

	return IRQ_HANDLED;
}

static int __init check_params(void)
{
	int ret;

	ret = lab_check_pins(led, buttons, nr_buttons, NR_BUTTONS);
	if (ret)
		return ret;
	if (work_ms > WORK_MS_MAX) {
		pr_err("work_ms %u: more than %u (error %d)\n",
		       work_ms, WORK_MS_MAX, -EINVAL);
		return -EINVAL;
	}
	return 0;
}

static int __init led_setup(struct bottomhalf *dev)
{
	return lab_led_request(dev->led, LED_NAME);
}

static void led_teardown(struct bottomhalf *dev)
{
	gpio_set_value(dev->led, 0);
	gpio_free(dev->led);
}

static int __init button_setup(struct bottomhalf_button *b)
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

static void button_teardown(struct bottomhalf_button *b)
{
	/* Same dev_id as requested; waits for a running handler to return. */
	free_irq(b->irq, b);
	gpio_free(b->gpio);
}

static int __init bottomhalf_init(void)
{
	struct bottomhalf *dev = &bottomhalf_dev;
	int ret;
	int i;

	ret = check_params();
	if (ret)
		return ret;

	dev->led = led;
	dev->work_ms = work_ms;
	tasklet_setup(&dev->tasklet, bottomhalf_tasklet_fn);
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
	tasklet_kill(&dev->tasklet);	/* button 1 may have scheduled it */
err_led:
	led_teardown(dev);
	return ret;
}

static void __exit bottomhalf_exit(void)
{
	struct bottomhalf *dev = &bottomhalf_dev;

	/*
	 * The order matters. free_irq() first: once it returns no top half
	 * runs, so nothing can schedule the tasklet any more. Then
	 * tasklet_kill(): it waits until a pending tasklet has run and a
	 * running one has returned. The other way round a press between the
	 * two calls would schedule the tasklet again, and it would run after
	 * the module's code is gone.
	 */
	button_teardown(&dev->buttons[1]);
	button_teardown(&dev->buttons[0]);
	tasklet_kill(&dev->tasklet);
	led_teardown(dev);
	pr_info("unloaded\n");
}

module_init(bottomhalf_init);
module_exit(bottomhalf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("GPIO button interrupts with a tasklet bottom half");
