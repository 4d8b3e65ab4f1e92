// SPDX-License-Identifier: GPL-2.0
/*
 * vkbd.c - your keyboard for the pilab lab vkbd (the guide's chapter 16)
 *
 *	echo vkbd > /sys/class/vinput/export	creates /dev/vinput0
 *	echo +30 > /dev/vinput0			press KEY_A (30); "30" too
 *	echo -30 > /dev/vinput0			release it
 *	cat /dev/vinput0			the last command accepted
 *	echo 0 > /sys/class/vinput/unexport	removes /dev/vinput0
 *
 * The vinput core (vinput.c) is given: it creates the devices and passes
 * each write to vkbd_send(). The lesson is yours (TODO 1 to 3): say what the
 * keyboard can report, parse each command strictly, and report it to the
 * input core, which hands it to evdev (/dev/input/eventN).
 *
 * Build it:  make -C /lib/modules/$(uname -r)/build M=$PWD modules
 * Load it:   insmod vinput.ko && insmod vkbd.ko
 * Check it:  pilab check vkbd .
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/input.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "vinput.h"

static int vkbd_init(struct vinput *vinput)
{
	/*
	 * TODO 1: say what this device reports, in vinput->input: the event
	 * types EV_KEY and EV_REP (so the input core auto-repeats held keys)
	 * in ->evbit, and every key code 1..KEY_MAX-1 in ->keybit
	 * (__set_bit()).
	 */
	return 0;
}

static int vkbd_send(struct vinput *vinput, const char *buf, size_t len)
{
	/*
	 * TODO 2: parse one command: [+|-]CODE, then at most one '\n'. CODE
	 * is a key code 1..KEY_MAX-1 in decimal without leading zeros; '+' or
	 * no sign presses, '-' releases. Anything else ("030", "+0", "30 ",
	 * "vkbd", an empty write) returns -EINVAL and reports nothing.
	 * (kstrtoul() is not strict enough: it takes "030".)
	 *
	 * TODO 3: report it: input_report_key(vinput->input, code, pressed),
	 * then input_sync(vinput->input); keep the command in
	 * vinput->last_entry (+code or -code) for vkbd_read(); return 0.
	 */
	return -EINVAL;
}

/* The last command accepted, "+30\n" or "-30\n"; nothing before the first. */
static int vkbd_read(struct vinput *vinput, char *buf, size_t size)
{
	if (!vinput->last_entry)
		return 0;
	return scnprintf(buf, size, "%+ld\n", vinput->last_entry);
}

static const struct vinput_ops vkbd_ops = {
	.init = vkbd_init,
	.send = vkbd_send,
	.read = vkbd_read,
};

static struct vinput_device vkbd_type = {
	.name = "vkbd",
	.ops = &vkbd_ops,
};

static int __init vkbd_module_init(void)
{
	return vinput_register(&vkbd_type);
}

static void __exit vkbd_module_exit(void)
{
	vinput_unregister(&vkbd_type);
}

module_init(vkbd_module_init);
module_exit(vkbd_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A virtual keyboard on vinput (pilab lab vkbd)");
