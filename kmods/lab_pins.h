/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pin handling intrpt, bottomhalf and bh_thread share: check the
 * led/buttons parameters, then request each line on its own (the guide's
 * gpio_request_array() is gone since Linux 6.10).
 *
 * Each module includes this once; its pr_fmt prefixes the messages. A module
 * with no LED (gpio_keys) uses only lab_pin_request(): the others are
 * __maybe_unused.
 */
#ifndef LAB_PINS_H
#define LAB_PINS_H

#include <linux/kconfig.h>
#include <linux/version.h>

/*
 * The labs use the number-based legacy GPIO calls (gpio_request(),
 * gpio_to_irq(), gpio_set_value()...). Since Linux 6.17 <linux/gpio.h>
 * declares them only with CONFIG_GPIOLIB_LEGACY (which does not exist
 * before 6.17). Without it, say why and stop: #error alone lets the
 * compiler go on and report every call as an implicit declaration, a
 * missing header ends the compilation. (Major and patchlevel, not
 * LINUX_VERSION_CODE, which checkpatch flags; as in vinput.c.)
 */
#define LAB_PINS_KERNEL_AT_LEAST(a, b) \
	(LINUX_VERSION_MAJOR * 256 + LINUX_VERSION_PATCHLEVEL >= (a) * 256 + (b))

#if LAB_PINS_KERNEL_AT_LEAST(6, 17) && !IS_ENABLED(CONFIG_GPIOLIB_LEGACY)
#error "the GPIO labs use the legacy GPIO number API: this kernel is built without CONFIG_GPIOLIB_LEGACY, rebuild it with CONFIG_GPIOLIB_LEGACY=y"
#include "stop-here-CONFIG_GPIOLIB_LEGACY-is-not-set.h"
#endif

#include <linux/gpio.h>
#include <linux/gpio/consumer.h>
#include <linux/printk.h>

/* Refuse negative, duplicate or missing pins before touching any line. */
static int __init __maybe_unused lab_check_pins(int led, const int *buttons,
						unsigned int nr_buttons,
						unsigned int want)
{
	unsigned int i;

	if (nr_buttons != want) {
		pr_err("buttons: %u given, exactly %u needed (error %d)\n",
		       nr_buttons, want, -EINVAL);
		return -EINVAL;
	}
	if (led < 0) {
		pr_err("led GPIO %d: invalid number (error %d)\n", led, -EINVAL);
		return -EINVAL;
	}
	for (i = 0; i < nr_buttons; i++) {
		if (buttons[i] < 0) {
			pr_err("button %u GPIO %d: invalid number (error %d)\n",
			       i + 1, buttons[i], -EINVAL);
			return -EINVAL;
		}
		if (buttons[i] == led) {
			pr_err("button %u GPIO %d: is also the LED (error %d)\n",
			       i + 1, buttons[i], -EINVAL);
			return -EINVAL;
		}
		if (i > 0 && buttons[i] == buttons[0]) {
			pr_err("button %u GPIO %d: is also button 1 (error %d)\n",
			       i + 1, buttons[i], -EINVAL);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Request one line and set its direction (an output starts low).
 *
 * gpio_to_desc() is asked first because the legacy gpio_request() is not a
 * reliable existence test: for a number gpio_is_valid() rejects (on 6.1 any
 * number >= ARCH_NR_GPIOS) it returns 0 without requesting anything, and
 * for a valid number without a chip it returns -EPROBE_DEFER, which means
 * nothing to a module load. gpio_is_valid() itself is not used: it would
 * refuse lines of chips above ARCH_NR_GPIOS that 6.1 happily registers.
 */
static int __init lab_pin_request(int gpio, const char *label, bool output)
{
	int ret;

	if (!gpio_to_desc(gpio)) {
		pr_err("%s GPIO %d: no GPIO chip provides it (error %d)\n",
		       label, gpio, -ENODEV);
		return -ENODEV;
	}

	ret = gpio_request(gpio, label);
	if (ret == -EPROBE_DEFER)
		ret = -ENODEV;
	if (ret) {
		pr_err("%s GPIO %d: %s (error %d)\n", label, gpio,
		       ret == -EBUSY ? "already in use" : "cannot request", ret);
		return ret;
	}

	if (output)
		ret = gpio_direction_output(gpio, 0);
	else
		ret = gpio_direction_input(gpio);
	if (ret) {
		pr_err("%s GPIO %d: cannot make it an %s (error %d)\n", label,
		       gpio, output ? "output" : "input", ret);
		goto err_free;
	}
	return 0;

err_free:
	gpio_free(gpio);
	return ret;
}

/*
 * The LED: an output, on a chip that does not sleep, because the labs switch
 * it with gpio_set_value() (from a hard IRQ handler in intrpt/bottomhalf).
 */
static int __init __maybe_unused lab_led_request(int gpio, const char *label)
{
	int ret;

	ret = lab_pin_request(gpio, label, true);
	if (ret)
		return ret;

	if (gpiod_cansleep(gpio_to_desc(gpio))) {
		ret = -EOPNOTSUPP;
		pr_err("%s GPIO %d: its chip sleeps, unusable with gpio_set_value() (error %d)\n",
		       label, gpio, ret);
		goto err_free;
	}
	return 0;

err_free:
	gpio_free(gpio);
	return ret;
}

#endif /* LAB_PINS_H */
