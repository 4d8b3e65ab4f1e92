/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between the vinput core and its device types.
 *
 * The core (vinput.c) owns /sys/class/vinput/{export,unexport}, the
 * /dev/vinputN character devices and the lifetime of every struct vinput.
 * A device type (vkbd.c is one) registers a struct vinput_device whose ops
 * describe the input device and translate the text written to /dev/vinputN
 * into input events.
 */

#ifndef VINPUT_H
#define VINPUT_H

#include <linux/device.h>
#include <linux/input.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

/* Largest write accepted by /dev/vinputN, and largest text a read returns. */
#define VINPUT_MAX_LEN 16
#define MAX_VINPUT 32
#define VINPUT_MINORS MAX_VINPUT

struct vinput_device;

/*
 * One exported virtual device, /dev/vinput<id>.  Its memory belongs to @dev:
 * it is freed by the device's release callback once the last reference (the
 * export itself, or an open file) is gone.
 */
struct vinput {
	int id;
	/*
	 * @lock serialises the type's ops for this device with each other and
	 * with unexport.  Once @dead is set (under @lock) the type's ops are
	 * never called again and @input is gone.
	 */
	struct mutex lock;
	bool dead;
	long last_entry;	/* for the type's use; under @lock */
	void *priv_data;	/* for the type's use */
	struct device dev;
	struct input_dev *input;
	const struct vinput_device *type;
	char phys[32];		/* "vinput/vinput<id>", the input_dev's phys */
};

/*
 * A type's ops.  The core calls @send and @read with vinput->lock held, so a
 * type needs no locking of its own for the per-device state.
 *
 * @init: set the capabilities of vinput->input.  The core registers the
 *	input device afterwards and unregisters it before @kill.
 * @kill: optional; undo @init after the input device is unregistered.
 * @send: handle one write of @len bytes (1..VINPUT_MAX_LEN, NUL-terminated
 *	at @len).  Return 0 or a negative errno; a refused write must leave
 *	the device unchanged.
 * @read: format the device's state as text in @buf (@size bytes) and
 *	return its length (0 for none), or a negative errno.
 */
struct vinput_ops {
	int (*init)(struct vinput *vinput);
	void (*kill)(struct vinput *vinput);
	int (*send)(struct vinput *vinput, const char *buf, size_t len);
	int (*read)(struct vinput *vinput, char *buf, size_t size);
};

/*
 * A device type, found by the exact @name written to
 * /sys/class/vinput/export.  vinput_unregister() unexports every device of
 * the type, so the type's module may go away right after it returns.
 */
struct vinput_device {
	char name[16];
	struct list_head list;
	const struct vinput_ops *ops;
};

int vinput_register(struct vinput_device *dev);
void vinput_unregister(struct vinput_device *dev);
int vinput_parse_decimal(const char *buf, size_t len, unsigned int max,
			 unsigned int *val);

#endif /* VINPUT_H */
