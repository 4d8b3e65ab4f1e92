// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual input devices driven from user space.
 *
 *   echo vkbd > /sys/class/vinput/export     creates /dev/vinput<N>
 *   echo N > /sys/class/vinput/unexport      removes it again
 *
 * What /dev/vinput<N> accepts is up to the device type (see vkbd.c).
 *
 * Differences from the guide's version, and why:
 * - vinput_mutex guards the type list and the id table (an IDR, which both
 *   allocates ids and maps minor -> device); each device has its own mutex.
 * - struct vinput is reference counted through its struct device: open files
 *   hold a reference, the release callback frees it, so unexporting (or
 *   rmmod of the type module) while /dev/vinputN is open is safe.  The
 *   guide freed the device while files could still point at it.
 * - file_operations.owner is always set: it pins this module while a
 *   /dev/vinputN file is open.  (Kernel 6.4 removed class.owner, not
 *   file_operations.owner, which the guide's #if confused.)
 * - Reads honour *ppos and copy only the text there is (simple_read_from_buffer
 *   over copy_to_user), writes are bounded and use copy_from_user.  The guide
 *   used raw_copy_*_user without access_ok() and could copy past its buffer.
 * - A read continues the text the previous read on the same file started
 *   (a per-open snapshot, like seq_file), instead of formatting it anew
 *   each time: read byte by byte across a write, the text would otherwise
 *   be a mix of two values that nobody wrote.
 * - Export matches the type name exactly; the guide's strncmp prefix match
 *   accepted "vkbdXYZ".  The /dev node is 0600 (class devnode callback).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/input.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "vinput.h"

/* Kernel-version differences, all in one place: true on kernel >= a.b */
#define VINPUT_KERNEL_AT_LEAST(a, b) \
	(LINUX_VERSION_MAJOR * 256 + LINUX_VERSION_PATCHLEVEL >= (a) * 256 + (b))

#if VINPUT_KERNEL_AT_LEAST(6, 2)
#define VINPUT_DEVNODE_DEV const struct device	/* 6.2: devnode() got const */
#else
#define VINPUT_DEVNODE_DEV struct device
#endif
#if VINPUT_KERNEL_AT_LEAST(6, 4)
#define VINPUT_CLASS const struct class	/* 6.4: class attrs got const */
#define VINPUT_CLASS_ATTR const struct class_attribute
#else
#define VINPUT_CLASS struct class
#define VINPUT_CLASS_ATTR struct class_attribute
#endif

#define DRIVER_NAME "vinput"

#define dev_to_vinput(d) container_of(d, struct vinput, dev)

static DEFINE_MUTEX(vinput_mutex);	/* guards the two below */
static LIST_HEAD(vinput_types);		/* registered struct vinput_device */
static DEFINE_IDR(vinput_idr);		/* id -> exported struct vinput */

static int vinput_major;
static struct class vinput_class;

/**
 * vinput_parse_decimal() - strict parser for a decimal number
 * @buf: text, need not be NUL-terminated
 * @len: length of @buf; one trailing '\n' is allowed
 * @max: largest value accepted
 * @val: where the number goes
 *
 * Accepts only digits: no sign, spaces, "0x" or leading zeros ("0" itself is
 * fine).
 *
 * Return: 0, -EINVAL for malformed text, -ERANGE for a number above @max.
 */
int vinput_parse_decimal(const char *buf, size_t len, unsigned int max,
			 unsigned int *val)
{
	unsigned int v = 0, d;
	bool too_big = false;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || (buf[0] == '0' && len > 1))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!isdigit(buf[i]))
			return -EINVAL;
		/* keep checking the syntax, stop accumulating on overflow */
		d = buf[i] - '0';
		if (too_big || d > max || v > (max - d) / 10)
			too_big = true;
		else
			v = v * 10 + d;
	}
	if (too_big)
		return -ERANGE;
	*val = v;
	return 0;
}
EXPORT_SYMBOL_GPL(vinput_parse_decimal);

/* ---- /dev/vinputN ---- */

/*
 * One open /dev/vinputN.  A read at offset 0, or anywhere but where the
 * previous read on this file stopped, takes a new snapshot of the device's
 * text; a read that continues where the last one stopped is served from
 * the snapshot, so reading a value piece by piece never mixes two values.
 */
struct vinput_file {
	struct vinput *vinput;	/* holds a reference to vinput->dev */
	struct mutex lock;	/* guards the rest; taken before vinput->lock */
	bool valid;		/* @text holds a snapshot */
	loff_t next;		/* where the last read from @text stopped */
	size_t len;
	char text[VINPUT_MAX_LEN];
};

static int vinput_open(struct inode *inode, struct file *file)
{
	struct vinput_file *vf;
	struct vinput *vinput;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;

	mutex_lock(&vinput_mutex);
	vinput = idr_find(&vinput_idr, iminor(inode));
	if (vinput)
		get_device(&vinput->dev);
	mutex_unlock(&vinput_mutex);

	if (!vinput) {
		kfree(vf);
		return -ENODEV;
	}
	vf->vinput = vinput;
	mutex_init(&vf->lock);
	file->private_data = vf;
	return 0;
}

static int vinput_release(struct inode *inode, struct file *file)
{
	struct vinput_file *vf = file->private_data;

	put_device(&vf->vinput->dev);
	mutex_destroy(&vf->lock);
	kfree(vf);
	return 0;
}

/* The device's text now, into the file's snapshot (vf->lock held). */
static int vinput_snapshot(struct vinput_file *vf)
{
	struct vinput *vinput = vf->vinput;
	int len;

	mutex_lock(&vinput->lock);
	if (vinput->dead)
		len = -ENODEV;
	else
		len = vinput->type->ops->read(vinput, vf->text, sizeof(vf->text));
	mutex_unlock(&vinput->lock);

	vf->valid = len >= 0;
	if (len < 0)
		return len;
	vf->len = min_t(size_t, len, sizeof(vf->text));
	return 0;
}

static bool vinput_is_dead(struct vinput *vinput)
{
	bool dead;

	mutex_lock(&vinput->lock);
	dead = vinput->dead;
	mutex_unlock(&vinput->lock);
	return dead;
}

static ssize_t vinput_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	struct vinput_file *vf = file->private_data;
	ssize_t ret;

	mutex_lock(&vf->lock);
	if (!*ppos || !vf->valid || *ppos != vf->next)
		ret = vinput_snapshot(vf);
	else	/* an unexported device gives ENODEV, snapshot or not */
		ret = vinput_is_dead(vf->vinput) ? -ENODEV : 0;
	if (!ret) {
		/* copies at most the text there is, from *ppos on; 0 at its end */
		ret = simple_read_from_buffer(ubuf, count, ppos, vf->text,
					      vf->len);
		vf->next = *ppos;
	}
	mutex_unlock(&vf->lock);
	return ret;
}

/* One write is one command; a refused write changes nothing. */
static ssize_t vinput_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct vinput_file *vf = file->private_data;
	struct vinput *vinput = vf->vinput;
	char buf[VINPUT_MAX_LEN + 1];
	int err;

	if (!count || count > VINPUT_MAX_LEN)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&vinput->lock);
	if (vinput->dead)
		err = -ENODEV;
	else
		err = vinput->type->ops->send(vinput, buf, count);
	mutex_unlock(&vinput->lock);

	if (err)
		return err;
	return count;
}

static const struct file_operations vinput_fops = {
	.owner = THIS_MODULE,
	.open = vinput_open,
	.release = vinput_release,
	.read = vinput_read,
	.write = vinput_write,
	.llseek = default_llseek,
};

/* ---- creating and removing devices (vinput_mutex held) ---- */

static void vinput_dev_release(struct device *dev)
{
	struct vinput *vinput = dev_to_vinput(dev);

	mutex_destroy(&vinput->lock);
	kfree(vinput);
}

static struct vinput *vinput_alloc(const struct vinput_device *type, int id)
{
	struct vinput *vinput;

	vinput = kzalloc(sizeof(*vinput), GFP_KERNEL);
	if (!vinput)
		return NULL;

	vinput->id = id;
	vinput->type = type;
	mutex_init(&vinput->lock);
	/* from here on the memory is freed by put_device() */
	device_initialize(&vinput->dev);
	vinput->dev.class = &vinput_class;
	vinput->dev.devt = MKDEV(vinput_major, id);
	vinput->dev.release = vinput_dev_release;
	if (dev_set_name(&vinput->dev, DRIVER_NAME "%d", id))
		goto err_put;

	vinput->input = input_allocate_device();
	if (!vinput->input)
		goto err_put;
	snprintf(vinput->phys, sizeof(vinput->phys), "%s/%s", DRIVER_NAME,
		 dev_name(&vinput->dev));
	/* both strings outlive the registration of the input device */
	vinput->input->name = type->name;
	vinput->input->phys = vinput->phys;
	vinput->input->id.bustype = BUS_VIRTUAL;
	vinput->input->dev.parent = &vinput->dev;
	return vinput;

err_put:
	put_device(&vinput->dev);
	return NULL;
}

/* undoes vinput_alloc() for a device that was never added */
static void vinput_free(struct vinput *vinput)
{
	input_free_device(vinput->input);
	put_device(&vinput->dev);
}

static int vinput_create(const struct vinput_device *type)
{
	struct vinput *vinput;
	int id, err;

	lockdep_assert_held(&vinput_mutex);

	/* reserve the id now, publish the device once it is complete */
	id = idr_alloc(&vinput_idr, NULL, 0, MAX_VINPUT, GFP_KERNEL);
	if (id < 0) {
		if (id == -ENOSPC)	/* errno says it all; say it once */
			pr_info_once("all %d devices in use\n", MAX_VINPUT);
		return id;
	}

	vinput = vinput_alloc(type, id);
	if (!vinput) {
		err = -ENOMEM;
		goto err_remove_id;
	}

	err = type->ops->init(vinput);
	if (err)
		goto err_free;

	err = device_add(&vinput->dev);
	if (err)
		goto err_kill;

	err = input_register_device(vinput->input);
	if (err)
		goto err_del;

	idr_replace(&vinput_idr, vinput, id);
	dev_info(&vinput->dev, "exported %s\n", type->name);
	return 0;

err_del:
	device_del(&vinput->dev);
err_kill:
	if (type->ops->kill)
		type->ops->kill(vinput);
err_free:
	vinput_free(vinput);
err_remove_id:
	idr_remove(&vinput_idr, id);
	return err;
}

static void vinput_destroy(struct vinput *vinput)
{
	lockdep_assert_held(&vinput_mutex);

	/* no new opens; then wait out a read or write in progress */
	idr_remove(&vinput_idr, vinput->id);
	mutex_lock(&vinput->lock);
	vinput->dead = true;
	mutex_unlock(&vinput->lock);

	/* releases keys still held and stops auto-repeat */
	input_unregister_device(vinput->input);
	vinput->input = NULL;
	if (vinput->type->ops->kill)
		vinput->type->ops->kill(vinput);
	dev_info(&vinput->dev, "unexported\n");
	device_del(&vinput->dev);
	/* drop the export's reference; open files may still hold theirs */
	put_device(&vinput->dev);
}

/* ---- /sys/class/vinput ---- */

static const struct vinput_device *
vinput_find_type(const char *buf, size_t len)
{
	const struct vinput_device *type;

	lockdep_assert_held(&vinput_mutex);

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || len >= sizeof(type->name))
		return ERR_PTR(-EINVAL);

	list_for_each_entry(type, &vinput_types, list)
		if (strlen(type->name) == len && !memcmp(type->name, buf, len))
			return type;
	return ERR_PTR(-ENODEV);
}

/* "<type>" or "<type>\n": create a device of that type */
static ssize_t export_store(VINPUT_CLASS *class, VINPUT_CLASS_ATTR *attr,
			    const char *buf, size_t len)
{
	const struct vinput_device *type;
	int err;

	mutex_lock(&vinput_mutex);
	type = vinput_find_type(buf, len);
	if (IS_ERR(type))
		err = PTR_ERR(type);
	else
		err = vinput_create(type);
	mutex_unlock(&vinput_mutex);

	if (err)
		return err;
	return len;
}
static CLASS_ATTR_WO(export);

/* "<id>" or "<id>\n", id in decimal as in /dev/vinput<id> */
static ssize_t unexport_store(VINPUT_CLASS *class, VINPUT_CLASS_ATTR *attr,
			      const char *buf, size_t len)
{
	struct vinput *vinput;
	unsigned int id;
	int err;

	err = vinput_parse_decimal(buf, len, MAX_VINPUT - 1, &id);
	if (err)
		return err == -ERANGE ? -ENODEV : err;

	mutex_lock(&vinput_mutex);
	vinput = idr_find(&vinput_idr, id);
	if (vinput)
		vinput_destroy(vinput);
	mutex_unlock(&vinput_mutex);

	if (!vinput)
		return -ENODEV;
	return len;
}
static CLASS_ATTR_WO(unexport);

static struct attribute *vinput_class_attrs[] = {
	&class_attr_export.attr,
	&class_attr_unexport.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vinput_class);

/* root-only: whoever may write here may type on the machine's keyboard */
static char *vinput_devnode(VINPUT_DEVNODE_DEV *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return NULL;
}

static struct class vinput_class = {
	.name = DRIVER_NAME,
	.class_groups = vinput_class_groups,
	.devnode = vinput_devnode,
};

/* ---- device types ---- */

int vinput_register(struct vinput_device *dev)
{
	const struct vinput_ops *ops = dev->ops;
	size_t len = strnlen(dev->name, sizeof(dev->name));
	int err = 0;

	if (!len || len == sizeof(dev->name) || !ops || !ops->init ||
	    !ops->send || !ops->read)
		return -EINVAL;

	mutex_lock(&vinput_mutex);
	if (!IS_ERR(vinput_find_type(dev->name, len)))
		err = -EEXIST;
	else
		list_add_tail(&dev->list, &vinput_types);
	mutex_unlock(&vinput_mutex);

	if (!err)
		pr_info("registered device type '%s'\n", dev->name);
	return err;
}
EXPORT_SYMBOL_GPL(vinput_register);

/* Unexports every device of the type, even those with open files. */
void vinput_unregister(struct vinput_device *dev)
{
	struct vinput *vinput;
	int id;

	mutex_lock(&vinput_mutex);
	list_del(&dev->list);
	idr_for_each_entry(&vinput_idr, vinput, id)
		if (vinput->type == dev)
			vinput_destroy(vinput);
	mutex_unlock(&vinput_mutex);

	pr_info("unregistered device type '%s'\n", dev->name);
}
EXPORT_SYMBOL_GPL(vinput_unregister);

/* ---- module ---- */

static int __init vinput_init(void)
{
	int err;

	vinput_major = __register_chrdev(0, 0, VINPUT_MINORS, DRIVER_NAME,
					 &vinput_fops);
	if (vinput_major < 0)
		return vinput_major;

	err = class_register(&vinput_class);
	if (err)
		goto err_chrdev;

	pr_info("loaded, major %d\n", vinput_major);
	return 0;

err_chrdev:
	__unregister_chrdev(vinput_major, 0, VINPUT_MINORS, DRIVER_NAME);
	return err;
}

static void __exit vinput_exit(void)
{
	/* no types are left (they use our symbols), hence no devices */
	class_unregister(&vinput_class);
	__unregister_chrdev(vinput_major, 0, VINPUT_MINORS, DRIVER_NAME);
	idr_destroy(&vinput_idr);
	pr_info("unloaded\n");
}

module_init(vinput_init);
module_exit(vinput_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Emulate input events");
