/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vinput.h - the vinput core (vinput.c) and its device types (vkbd.c)
 *
 * The core, given, owns /sys/class/vinput/{export,unexport} and the
 * /dev/vinputN character devices. A device type says what its input
 * device can report and turns what is written to /dev/vinputN into
 * input events.
 */
#ifndef VINPUT_H
#define VINPUT_H

#include <linux/device.h>
#include <linux/input.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#define VINPUT_MAX_LEN	16	/* longest write to /dev/vinputN */
#define VINPUT_MAX_DEVS	32	/* /dev/vinput0 .. /dev/vinput31 */

struct vinput_device;

/* One exported device, /dev/vinput<id>; freed when its last user is gone. */
struct vinput {
	int id;
	struct device dev;
	struct input_dev *input;
	const struct vinput_device *type;
	struct mutex lock;	/* held around the type's send and read */
	bool gone;		/* unexported: the type is never called again */
	long last_entry;	/* free for the type's use, under lock */
	char phys[32];
};

/*
 * What a type does. send and read are called with vinput->lock held.
 * @init:  set the capabilities of vinput->input (it is registered after).
 * @send:  one write of @len bytes (1..VINPUT_MAX_LEN; @buf is NUL-terminated
 *	   at @len); 0, or a negative errno that leaves the device unchanged.
 * @read:  write the device's state as text into @buf (@size bytes); its
 *	   length, or a negative errno.
 */
struct vinput_ops {
	int (*init)(struct vinput *vinput);
	int (*send)(struct vinput *vinput, const char *buf, size_t len);
	int (*read)(struct vinput *vinput, char *buf, size_t size);
};

/* A type, found by the exact @name written to /sys/class/vinput/export. */
struct vinput_device {
	const char *name;
	struct list_head list;
	const struct vinput_ops *ops;
};

int vinput_register(struct vinput_device *type);
void vinput_unregister(struct vinput_device *type);

#endif /* VINPUT_H */
