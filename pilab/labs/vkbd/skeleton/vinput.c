// SPDX-License-Identifier: GPL-2.0
/*
 * vinput.c - the vinput core for the pilab lab vkbd (given, no TODOs here)
 *
 *	echo <type> > /sys/class/vinput/export	creates /dev/vinput<N>, the
 *						lowest free N (0..31)
 *	echo <N> > /sys/class/vinput/unexport	removes it
 *
 * Each write to /dev/vinput<N> (at most VINPUT_MAX_LEN bytes) is passed to
 * the type's send(), each read shows what its read() says. Your work is in
 * vkbd.c.
 *
 * Unlike the guide's version, a device lives as long as someone uses it:
 * each open file holds a reference to its struct device, whose release
 * callback frees it, so unexporting a device that is still open is safe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/input.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "vinput.h"

/* Since 6.4 the class attribute callbacks take a const struct class. */
#if LINUX_VERSION_MAJOR > 6 || (LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 4)
#define VINPUT_CONST const
#else
#define VINPUT_CONST
#endif

static DEFINE_MUTEX(vinput_mutex);	/* guards the two below */
static LIST_HEAD(vinput_types);
static struct vinput *vinputs[VINPUT_MAX_DEVS];	/* by id, which is the minor */

static int vinput_major;
static struct class vinput_class;

/* ---- /dev/vinputN ---- */

static int vinput_open(struct inode *inode, struct file *file)
{
	struct vinput *vinput = NULL;

	mutex_lock(&vinput_mutex);
	if (iminor(inode) < VINPUT_MAX_DEVS)
		vinput = vinputs[iminor(inode)];
	if (vinput)
		get_device(&vinput->dev);
	mutex_unlock(&vinput_mutex);

	if (!vinput)
		return -ENODEV;
	file->private_data = vinput;
	return 0;
}

static int vinput_release(struct inode *inode, struct file *file)
{
	struct vinput *vinput = file->private_data;

	put_device(&vinput->dev);
	return 0;
}

static ssize_t vinput_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	struct vinput *vinput = file->private_data;
	char text[VINPUT_MAX_LEN];
	int len;

	mutex_lock(&vinput->lock);
	len = vinput->gone ? -ENODEV : vinput->type->ops->read(vinput, text, sizeof(text));
	mutex_unlock(&vinput->lock);
	if (len < 0)
		return len;
	return simple_read_from_buffer(ubuf, count, ppos, text,
				       min_t(size_t, len, sizeof(text)));
}

static ssize_t vinput_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct vinput *vinput = file->private_data;
	char buf[VINPUT_MAX_LEN + 1];
	int err;

	if (!count || count > VINPUT_MAX_LEN)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&vinput->lock);
	err = vinput->gone ? -ENODEV : vinput->type->ops->send(vinput, buf, count);
	mutex_unlock(&vinput->lock);
	return err ? err : count;
}

static const struct file_operations vinput_fops = {
	.owner = THIS_MODULE,
	.open = vinput_open,
	.release = vinput_release,
	.read = vinput_read,
	.write = vinput_write,
	.llseek = default_llseek,
};

/* ---- export and unexport (vinput_mutex held) ---- */

static void vinput_release_dev(struct device *dev)
{
	struct vinput *vinput = container_of(dev, struct vinput, dev);

	mutex_destroy(&vinput->lock);
	kfree(vinput);
}

static int vinput_export(const struct vinput_device *type)
{
	struct vinput *vinput;
	int id, err;

	for (id = 0; id < VINPUT_MAX_DEVS; id++)
		if (!vinputs[id])
			break;
	if (id == VINPUT_MAX_DEVS)
		return -ENOSPC;

	vinput = kzalloc(sizeof(*vinput), GFP_KERNEL);
	if (!vinput)
		return -ENOMEM;
	vinput->id = id;
	vinput->type = type;
	mutex_init(&vinput->lock);
	device_initialize(&vinput->dev);	/* from here on put_device() frees it */
	vinput->dev.class = &vinput_class;
	vinput->dev.devt = MKDEV(vinput_major, id);
	vinput->dev.release = vinput_release_dev;
	err = dev_set_name(&vinput->dev, "vinput%d", id);
	if (err)
		goto err_put;

	vinput->input = input_allocate_device();
	if (!vinput->input) {
		err = -ENOMEM;
		goto err_put;
	}
	snprintf(vinput->phys, sizeof(vinput->phys), "vinput/%s", dev_name(&vinput->dev));
	vinput->input->name = type->name;
	vinput->input->phys = vinput->phys;
	vinput->input->id.bustype = BUS_VIRTUAL;
	vinput->input->dev.parent = &vinput->dev;

	err = type->ops->init(vinput);
	if (err)
		goto err_free_input;
	err = device_add(&vinput->dev);
	if (err)
		goto err_free_input;
	err = input_register_device(vinput->input);
	if (err)
		goto err_del;

	vinputs[id] = vinput;
	dev_info(&vinput->dev, "exported %s\n", type->name);
	return 0;

err_del:
	device_del(&vinput->dev);
err_free_input:
	input_free_device(vinput->input);
err_put:
	put_device(&vinput->dev);
	return err;
}

static void vinput_unexport(struct vinput *vinput)
{
	vinputs[vinput->id] = NULL;	/* no new opens */
	mutex_lock(&vinput->lock);	/* waits for a send or read under way */
	vinput->gone = true;
	mutex_unlock(&vinput->lock);

	input_unregister_device(vinput->input);	/* releases keys still down */
	vinput->input = NULL;
	dev_info(&vinput->dev, "unexported\n");
	device_unregister(&vinput->dev);	/* open files keep their reference */
}

/* ---- /sys/class/vinput ---- */

/* The type named exactly @buf (one trailing '\n' allowed), or NULL. */
static const struct vinput_device *vinput_find_type(const char *buf, size_t len)
{
	const struct vinput_device *type;

	if (len && buf[len - 1] == '\n')
		len--;
	list_for_each_entry(type, &vinput_types, list)
		if (strlen(type->name) == len && !memcmp(type->name, buf, len))
			return type;
	return NULL;
}

static ssize_t export_store(VINPUT_CONST struct class *class,
			    VINPUT_CONST struct class_attribute *attr,
			    const char *buf, size_t len)
{
	const struct vinput_device *type;
	int err;

	mutex_lock(&vinput_mutex);
	type = vinput_find_type(buf, len);
	err = type ? vinput_export(type) : -ENODEV;
	mutex_unlock(&vinput_mutex);
	return err ? err : len;
}
static CLASS_ATTR_WO(export);

/* "<id>" in plain decimal (no sign, spaces or leading zeros), one '\n' allowed. */
static int vinput_parse_id(const char *buf, size_t len, unsigned int *id)
{
	unsigned int value = 0;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || (buf[0] == '0' && len > 1))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!isdigit(buf[i]))
			return -EINVAL;
		if (value < VINPUT_MAX_DEVS)	/* stop before it could overflow */
			value = value * 10 + (buf[i] - '0');
	}
	if (value >= VINPUT_MAX_DEVS)
		return -ENODEV;
	*id = value;
	return 0;
}

static ssize_t unexport_store(VINPUT_CONST struct class *class,
			      VINPUT_CONST struct class_attribute *attr,
			      const char *buf, size_t len)
{
	unsigned int id;
	int err;

	err = vinput_parse_id(buf, len, &id);
	if (err)
		return err;

	mutex_lock(&vinput_mutex);
	if (vinputs[id])
		vinput_unexport(vinputs[id]);
	else
		err = -ENODEV;
	mutex_unlock(&vinput_mutex);
	return err ? err : len;
}
static CLASS_ATTR_WO(unexport);

static struct attribute *vinput_class_attrs[] = {
	&class_attr_export.attr,
	&class_attr_unexport.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vinput_class);

static struct class vinput_class = {
	.name = "vinput",
	.class_groups = vinput_class_groups,
};

/* ---- device types ---- */

int vinput_register(struct vinput_device *type)
{
	int err = 0;

	if (!type->name || !*type->name || !type->ops || !type->ops->init ||
	    !type->ops->send || !type->ops->read)
		return -EINVAL;

	mutex_lock(&vinput_mutex);
	if (vinput_find_type(type->name, strlen(type->name)))
		err = -EEXIST;
	else
		list_add_tail(&type->list, &vinput_types);
	mutex_unlock(&vinput_mutex);
	return err;
}
EXPORT_SYMBOL_GPL(vinput_register);

/* Unexports every device of @type, so its module may go right after. */
void vinput_unregister(struct vinput_device *type)
{
	int id;

	mutex_lock(&vinput_mutex);
	list_del(&type->list);
	for (id = 0; id < VINPUT_MAX_DEVS; id++)
		if (vinputs[id] && vinputs[id]->type == type)
			vinput_unexport(vinputs[id]);
	mutex_unlock(&vinput_mutex);
}
EXPORT_SYMBOL_GPL(vinput_unregister);

/* ---- module ---- */

static int __init vinput_init(void)
{
	int err;

	vinput_major = __register_chrdev(0, 0, VINPUT_MAX_DEVS, "vinput", &vinput_fops);
	if (vinput_major < 0)
		return vinput_major;
	err = class_register(&vinput_class);
	if (err)
		__unregister_chrdev(vinput_major, 0, VINPUT_MAX_DEVS, "vinput");
	return err;
}

static void __exit vinput_exit(void)
{
	/* No types are left (each holds a reference to us), so no devices. */
	class_unregister(&vinput_class);
	__unregister_chrdev(vinput_major, 0, VINPUT_MAX_DEVS, "vinput");
}

module_init(vinput_init);
module_exit(vinput_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Virtual input devices driven from user space (pilab lab vkbd)");
