// SPDX-License-Identifier: GPL-2.0
/*
 * Top and bottom half interrupt handling with a threaded IRQ
 *
 * Based upon the RPi example by Stefan Wendler (devnull@kaltpost.de)
 * from https://github.com/wendlers/rpi-kmod-samples, as presented in
 * The Linux Kernel Module Programming Guide, chapter 15.4.
 *
 * Press one button to turn on an LED and another to turn it off. The top
 * half (hard IRQ) only wakes the IRQ thread; the bottom half, in that
 * thread, switches the LED and pretends to do work_ms of slow work.
 *
 * Where this differs from the guide, and why:
 *  - The guide's bottom half never switched the LED its header promises;
 *    this one does.
 *  - The guide busy-waited with mdelay() in the thread; a thread may sleep,
 *    so msleep() leaves the CPU to others.
 *  - gpio_request_array()/gpio_free_array() are gone since Linux 6.10:
 *    each line is requested on its own and released in reverse order.
 *  - The guide's error path freed the buttons with ARRAY_SIZE(leds), so
 *    button 2 stayed requested; it leaked button 1's IRQ when gpio_to_irq()
 *    failed for button 2. Here every step has its own unwind label.
 *  - free_irq() gets the same dev_id as request_irq() (the button); the
 *    guide requested with &buttons[i] and freed with NULL, which makes
 *    free_irq() warn "Trying to free already-free IRQ" and leave the
 *    handler installed after the module is gone.
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
#include <linux/printk.h>

#include "lab_pins.h"
#include <linux/sched.h>

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
MODULE_PARM_DESC(work_ms, "Sleep time of the bottom half in ms (default 500, max 10000)");

/* Names used both as GPIO consumer labels and in /proc/interrupts. */
static const char * const button_names[NR_BUTTONS] = {
	KBUILD_MODNAME "#button1",
	KBUILD_MODNAME "#button2",
};

#define LED_NAME KBUILD_MODNAME "#led"

struct bh_thread;

struct bh_thread_button {
	struct bh_thread *dev;
	const char *name;
	unsigned int nr;	/* 1 switches the LED on, 2 switches it off */
	int gpio;
	int irq;
};

struct bh_thread {
	int led;
	unsigned int work_ms;
	struct bh_thread_button buttons[NR_BUTTONS];
};

static struct bh_thread bh_thread_dev;

/* Top half, hard IRQ context: do nothing but wake the thread. */
static irqreturn_t button_top_half(int irq, void *dev_id)
{
	struct bh_thread_button *b = dev_id;

	pr_info("top half: button %u\n", b->nr);
	return IRQ_WAKE_THREAD;
}

/*
 * Bottom half, in the IRQ's own kernel thread (irq/<irq>-<name>): process
 * context, so it may sleep. msleep() gives the CPU away, unlike the
 * tasklet's mdelay(). Wakes while it runs are not queued one by one: the
 * thread runs once more after it returns, however many top halves ran.
 */
static irqreturn_t button_bottom_half(int irq, void *dev_id)
{
	struct bh_thread_button *b = dev_id;
	bool on = b->nr == 1;

	gpio_set_value(b->dev->led, on);
	pr_info("bottom half start: button %u in %s -> LED %s\n", b->nr,
		current->comm, on ? "on" : "off");
	msleep(b->dev->work_ms);
	pr_info("bottom half end\n");

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

static int __init led_setup(struct bh_thread *dev)
{
	return lab_led_request(dev->led, LED_NAME);
}

static void led_teardown(struct bh_thread *dev)
{
	gpio_set_value(dev->led, 0);
	gpio_free(dev->led);
}

static int __init button_setup(struct bh_thread_button *b)
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

	/*
	 * No IRQF_ONESHOT: we have a top half, and the line is an edge.
	 * The flag keeps the line masked until the thread returns, but only
	 * where the flow handler masks it: handle_level_irq() and the
	 * fasteoi flows do, as a level line would fire again at once while
	 * the device still asserts it. That is why a request with no top
	 * half and no IRQF_ONESHOT is refused (-EINVAL) unless the irqchip
	 * is marked ONESHOT_SAFE. An edge line runs handle_edge_irq()
	 * (vgpio's flow; pinctrl-bcm2835 switches a line to it for edge
	 * triggers), which never looks at the flag: with it or without,
	 * every edge is counted, runs the top half and wakes the thread,
	 * and wakes during a run coalesce into one more run.
	 */
	ret = request_threaded_irq(b->irq, button_top_half, button_bottom_half,
				   IRQF_TRIGGER_RISING, b->name, b);
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

static void button_teardown(struct bh_thread_button *b)
{
	/* Same dev_id as requested; waits for a running handler to return. */
	free_irq(b->irq, b);
	gpio_free(b->gpio);
}

static int __init bh_thread_init(void)
{
	struct bh_thread *dev = &bh_thread_dev;
	int ret;
	int i;

	ret = check_params();
	if (ret)
		return ret;

	dev->led = led;
	dev->work_ms = work_ms;
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

static void __exit bh_thread_exit(void)
{
	struct bh_thread *dev = &bh_thread_dev;

	/*
	 * IRQs first: free_irq() waits for a running thread handler to
	 * return and stops the thread, so afterwards nothing touches the LED.
	 */
	button_teardown(&dev->buttons[1]);
	button_teardown(&dev->buttons[0]);
	led_teardown(dev);
	pr_info("unloaded\n");
}

module_init(bh_thread_init);
module_exit(bh_thread_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("GPIO button interrupts with a threaded bottom half");
