// SPDX-License-Identifier: GPL-2.0
/*
 * How long from a button's edge to the LED: one press, three kernel paths
 *
 * Each rising edge of the button toggles the LED, from the path chosen at
 * load time with path=:
 *  - hardirq: in the interrupt handler itself (guide 15.2, intrpt);
 *  - tasklet: in a tasklet the handler schedules (15.3, bottomhalf);
 *  - thread:  in the IRQ's thread, request_threaded_irq() (15.4, bh_thread).
 * pilab's latency lab loads it once per path, presses the button many times
 * and reads the edge and the LED write from the kernel's trace.
 *
 * Nothing on the path prints: a printk() costs more than the path itself
 * and would be what the lab measures. Each path has one writer of the LED
 * (the handler of one IRQ, one tasklet, one thread never run twice at once),
 * so a plain bool holds the LED's state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gpio.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "lab_pins.h"

enum latency_path { PATH_HARDIRQ, PATH_TASKLET, PATH_THREAD };

static const char * const path_names[] = {
	[PATH_HARDIRQ] = "hardirq",
	[PATH_TASKLET] = "tasklet",
	[PATH_THREAD] = "thread",
};

static int led = 4;
module_param(led, int, 0444);
MODULE_PARM_DESC(led, "Global GPIO number of the LED (default 4)");

static int button = 17;
module_param(button, int, 0444);
MODULE_PARM_DESC(button, "Global GPIO number of the button (default 17)");

static char *path = "hardirq";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "Who toggles the LED: hardirq, tasklet or thread (default hardirq)");

#define LED_NAME KBUILD_MODNAME "#led"
#define BUTTON_NAME KBUILD_MODNAME "#button"

struct latency {
	enum latency_path path;
	int led;
	int button;
	int irq;
	bool on;
	struct tasklet_struct tasklet;
};

static struct latency latency_dev;

static void toggle_led(struct latency *dev)
{
	dev->on = !dev->on;
	gpio_set_value(dev->led, dev->on);
}

static void latency_tasklet_fn(struct tasklet_struct *t)
{
	struct latency *dev = from_tasklet(dev, t, tasklet);

	toggle_led(dev);
}

/* Hard IRQ context: the LED's chip does not sleep (checked at load). */
static irqreturn_t button_isr(int irq, void *dev_id)
{
	struct latency *dev = dev_id;

	switch (dev->path) {
	case PATH_HARDIRQ:
		toggle_led(dev);
		return IRQ_HANDLED;
	case PATH_TASKLET:
		tasklet_schedule(&dev->tasklet);
		return IRQ_HANDLED;
	default:
		return IRQ_WAKE_THREAD;
	}
}

/* The IRQ's thread, process context: only requested for path=thread. */
static irqreturn_t button_thread(int irq, void *dev_id)
{
	toggle_led(dev_id);
	return IRQ_HANDLED;
}

static int __init button_setup(struct latency *dev)
{
	irq_handler_t thread_fn = dev->path == PATH_THREAD ? button_thread : NULL;
	int ret;

	ret = lab_pin_request(dev->button, BUTTON_NAME, false);
	if (ret)
		return ret;

	ret = gpio_to_irq(dev->button);
	if (ret <= 0) {
		ret = ret ? ret : -ENXIO;
		pr_err("%s GPIO %d: no IRQ for it (error %d)\n", BUTTON_NAME,
		       dev->button, ret);
		goto err_free;
	}
	dev->irq = ret;

	/* IRQF_ONESHOT: the line stays masked until the thread has run. */
	ret = request_threaded_irq(dev->irq, button_isr, thread_fn,
				   IRQF_TRIGGER_RISING | (thread_fn ? IRQF_ONESHOT : 0),
				   BUTTON_NAME, dev);
	if (ret) {
		pr_err("%s GPIO %d: cannot request IRQ %d (error %d)\n",
		       BUTTON_NAME, dev->button, dev->irq, ret);
		goto err_free;
	}
	return 0;

err_free:
	gpio_free(dev->button);
	return ret;
}

static int __init latency_init(void)
{
	struct latency *dev = &latency_dev;
	int ret;

	ret = lab_check_pins(led, &button, 1, 1);
	if (ret)
		return ret;
	ret = match_string(path_names, ARRAY_SIZE(path_names), path);
	if (ret < 0) {
		pr_err("path '%s': not hardirq, tasklet or thread (error %d)\n",
		       path, -EINVAL);
		return -EINVAL;
	}

	dev->path = ret;
	dev->led = led;
	dev->button = button;
	dev->on = false;
	tasklet_setup(&dev->tasklet, latency_tasklet_fn);

	ret = lab_led_request(dev->led, LED_NAME);
	if (ret)
		return ret;
	ret = button_setup(dev);
	if (ret)
		goto err_led;

	pr_info("led %d, button %d (irq %d), path %s\n", dev->led, dev->button,
		dev->irq, path_names[dev->path]);
	return 0;

err_led:
	gpio_free(dev->led);
	return ret;
}

static void __exit latency_exit(void)
{
	struct latency *dev = &latency_dev;

	/* No handler after free_irq(), so nothing schedules the tasklet after. */
	free_irq(dev->irq, dev);
	tasklet_kill(&dev->tasklet);
	gpio_free(dev->button);
	gpio_set_value(dev->led, 0);
	gpio_free(dev->led);
}

module_init(latency_init);
module_exit(latency_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Button-to-LED latency through a hard IRQ, a tasklet or an IRQ thread");
