// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual keyboard on top of vinput.
 *
 *   echo vkbd > /sys/class/vinput/export
 *   echo +34 > /dev/vinput0      press KEY_G (34); "34" presses too
 *   echo -34 > /dev/vinput0      release it
 *   cat /dev/vinput0             "-34\n", the last command accepted
 *
 * Each write is one command, [+|-]CODE with an optional trailing '\n', where
 * CODE is a decimal key code 1..KEY_MAX-1 without leading zeros.  Anything
 * else is refused with -EINVAL and reports nothing.  The guide parsed with
 * kstrtoul, so "-34" failed and it then reported key 0 as pressed.
 *
 * The input device, named "vkbd" with phys "vinput/vinput<N>", can report
 * every code 1..KEY_MAX-1 (keyboard keys and BTN_* buttons, as the guide's
 * keymap did) and has EV_REP, so the input core auto-repeats held keys.
 *
 * rmmod vkbd unexports all keyboards, even those with /dev/vinputN open:
 * their files then fail with -ENODEV (see vinput_unregister()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/input.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "vinput.h"

#define VINPUT_KBD "vkbd"

static int vkbd_init(struct vinput *vinput)
{
	struct input_dev *input = vinput->input;
	unsigned int code;

	/*
	 * Codes are reported as they are, so no keycode table is needed (the
	 * guide's identity keymap only allowed EVIOCSKEYCODE remapping).
	 */
	__set_bit(EV_KEY, input->evbit);
	__set_bit(EV_REP, input->evbit);
	for (code = KEY_RESERVED + 1; code < KEY_MAX; code++)
		__set_bit(code, input->keybit);
	return 0;
}

/* "[+|-]CODE[\n]" -> +code (press) or -code (release) */
static int vkbd_parse(const char *buf, size_t len, long *entry)
{
	bool release = false;
	unsigned int code;

	if (len && (buf[0] == '+' || buf[0] == '-')) {
		release = buf[0] == '-';
		buf++;
		len--;
	}
	if (vinput_parse_decimal(buf, len, KEY_MAX - 1, &code) ||
	    code == KEY_RESERVED)
		return -EINVAL;

	*entry = release ? -(long)code : code;
	return 0;
}

static int vkbd_send(struct vinput *vinput, const char *buf, size_t len)
{
	long entry;

	if (vkbd_parse(buf, len, &entry)) {
		/* no log spam: a fuzzer may send thousands of these */
		dev_dbg(&vinput->dev, "refused malformed command\n");
		return -EINVAL;
	}

	vinput->last_entry = entry;
	/* the input core drops a press of a key that is already down */
	input_report_key(vinput->input, abs(entry), entry > 0);
	input_sync(vinput->input);
	dev_dbg(&vinput->dev, "%s code %ld\n", entry > 0 ? "press" : "release",
		abs(entry));
	return 0;
}

static int vkbd_read(struct vinput *vinput, char *buf, size_t size)
{
	if (!vinput->last_entry)
		return 0;	/* nothing written yet: reads see EOF */
	return scnprintf(buf, size, "%+ld\n", vinput->last_entry);
}

static const struct vinput_ops vkbd_ops = {
	.init = vkbd_init,
	.send = vkbd_send,
	.read = vkbd_read,
};

static struct vinput_device vkbd_dev = {
	.name = VINPUT_KBD,
	.ops = &vkbd_ops,
};

static int __init vkbd_module_init(void)
{
	return vinput_register(&vkbd_dev);
}

static void __exit vkbd_module_exit(void)
{
	vinput_unregister(&vkbd_dev);
}

module_init(vkbd_module_init);
module_exit(vkbd_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Emulate keyboard input events through /dev/vinput");
