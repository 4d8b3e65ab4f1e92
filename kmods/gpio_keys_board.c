// SPDX-License-Identifier: GPL-2.0
/*
 * gpio_keys_board - the kernel's own gpio-keys driver on one header line
 *
 * The reference for the gpio_keys lab: drivers/input/keyboard/gpio_keys.c,
 * the driver a Pi's "gpio-key" device-tree overlay binds. Where there is
 * no device tree (the vm board), this module is the board file: it
 * registers a "gpio-keys" platform device whose platform data names the
 * button (a global GPIO number), its key and its debounce. The kernel's
 * driver (modprobe gpio_keys) binds it and registers the input device;
 * unloading this module removes the device, and with it the key.
 *
 * Same parameters as kmods/gpio_keys.c, so the lab's steps run unchanged
 * against the kernel's driver.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gpio_keys.h>
#include <linux/input.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/printk.h>

#define DEBOUNCE_MAX_MS 1000

static int button = 17;
module_param(button, int, 0444);
MODULE_PARM_DESC(button, "Global GPIO number of the button (default 17)");

static unsigned int code = KEY_ENTER;
module_param(code, uint, 0444);
MODULE_PARM_DESC(code, "Key code the button reports (default 28, KEY_ENTER)");

static unsigned int debounce_ms = 5;
module_param(debounce_ms, uint, 0444);
MODULE_PARM_DESC(debounce_ms, "The driver's debounce_interval, ms (default 5)");

/* The driver keeps a pointer to it: it lives as long as the module. */
static struct gpio_keys_button board_button = {
	.desc = KBUILD_MODNAME "#button",
	.type = EV_KEY,
	.active_low = 0,
};

static struct platform_device *board_pdev;

static int __init gpio_keys_board_init(void)
{
	struct gpio_keys_platform_data pdata = {
		.buttons = &board_button,
		.nbuttons = 1,
		.name = "pilab gpio-keys",
	};

	if (button < 0 || code == KEY_RESERVED || code > KEY_MAX ||
	    debounce_ms > DEBOUNCE_MAX_MS) {
		pr_err("button %d, code %u, debounce_ms %u: out of range (error %d)\n",
		       button, code, debounce_ms, -EINVAL);
		return -EINVAL;
	}
	board_button.gpio = button;
	board_button.code = code;
	board_button.debounce_interval = debounce_ms;

	/* The platform data is copied; board_button is not. */
	board_pdev = platform_device_register_data(NULL, "gpio-keys",
						   PLATFORM_DEVID_AUTO, &pdata,
						   sizeof(pdata));
	if (IS_ERR(board_pdev)) {
		pr_err("cannot register the gpio-keys device (error %ld)\n",
		       PTR_ERR(board_pdev));
		return PTR_ERR(board_pdev);
	}
	return 0;
}

static void __exit gpio_keys_board_exit(void)
{
	platform_device_unregister(board_pdev);
}

module_init(gpio_keys_board_init);
module_exit(gpio_keys_board_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Board file: the kernel's gpio-keys driver on one GPIO line");
