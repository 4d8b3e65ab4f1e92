// SPDX-License-Identifier: GPL-2.0
/*
 * vgpio - a virtual 40-pin Raspberry Pi header for the pilab labs.
 *
 * Registers one GPIO chip whose lines are named GPIO0..GPIO<n-1>, so the
 * lab modules and userspace (gpiozero/lgpio through /dev/gpiochipN) use it
 * exactly as they would use the SoC's pin controller on a Pi.  The names
 * come from a "gpio-line-names" property of the chip's firmware node, as
 * on a Pi where the device tree provides them, rather than from
 * gpio_chip.names: the latter would also rename the GPIO sysfs export
 * directories from gpio<N> to GPIO<n>.
 *
 * Every line has two levels:
 *  - the driven value, used while the line is an output;
 *  - the applied value, what the outside world (a button, a wire) puts on
 *    the pin; it is what an input reads.
 * The line's level is the driven value for an output and the applied value
 * for an input.
 *
 * The outside world is /sys/kernel/debug/vgpio/<label>/GPIO<n>: write 1 or
 * 0 to apply a level, read to get the line's level.  The "wires" parameter
 * adds jumpers: with 27>17 the level of line 27 is applied to line 17.
 * Writing to a wired line's file overrides the wire until its source's
 * level changes again.
 *
 * A contact bounces: /sys/kernel/debug/vgpio/<label>/bounce takes
 * "<line> <bounces> <us>", and the line's next level change, whoever makes
 * it (a program driving an output, a write to a line's file), bounces: the
 * line flips back and forth <bounces> times, 2 * <bounces> more edges evenly
 * spread over <us> microseconds by an hrtimer, then stays at the new level.
 * A level change during the bounce becomes the level it settles at.
 *
 * Any line can be an edge interrupt.  Edges are latched in a pending bitmap
 * and delivered from a hard irq_work, so handlers run in real hard-IRQ
 * context, as they do on a Pi.  Edges on a masked or disabled line are lost,
 * as they are when the SoC's edge detector is switched off.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gpio/driver.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/version.h>

/*
 * Kernel compatibility, all in one place.
 *
 * gpio_chip.set returns int since 6.17 (void before; 6.15 and 6.16 added a
 * separate set_rv).  Rather than compare version numbers, pick the callback
 * whose type matches the member: this also follows distribution backports.
 */
static int vgpio_set(struct gpio_chip *gc, unsigned int offset, int value);

static void vgpio_set_void(struct gpio_chip *gc, unsigned int offset, int value)
{
	vgpio_set(gc, offset, value);
}

#define vgpio_set_op(gc)						\
	__builtin_choose_expr(__same_type((gc)->set, &vgpio_set),	\
			      vgpio_set, vgpio_set_void)

/*
 * hrtimer_setup() replaced hrtimer_init() and a separate .function in 6.13.
 * (Major and patchlevel, not LINUX_VERSION_CODE, which checkpatch flags.)
 */
#define VGPIO_KERNEL_AT_LEAST(a, b) \
	(LINUX_VERSION_MAJOR * 256 + LINUX_VERSION_PATCHLEVEL >= (a) * 256 + (b))

static void vgpio_hrtimer_setup(struct hrtimer *timer,
				enum hrtimer_restart (*fn)(struct hrtimer *))
{
#if VGPIO_KERNEL_AT_LEAST(6, 13)
	hrtimer_setup(timer, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
#else
	hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	timer->function = fn;
#endif
}

#define VGPIO_MAX_LINES		1024
#define VGPIO_MAX_LABEL		32	/* GPIO_MAX_NAME_SIZE of the uAPI */
#define VGPIO_MAX_BOUNCES	1000
#define VGPIO_MAX_BOUNCE_US	USEC_PER_SEC

static char *label = "vgpio";
module_param(label, charp, 0444);
MODULE_PARM_DESC(label, "Chip label, also the debugfs directory (default vgpio)");

static unsigned int ngpio = 54;
module_param(ngpio, uint, 0444);
MODULE_PARM_DESC(ngpio, "Number of lines, 1.." __stringify(VGPIO_MAX_LINES) " (default 54)");

static int base = -1;
module_param(base, int, 0444);
MODULE_PARM_DESC(base, "Global GPIO number of line 0, -1 for dynamic (default -1)");

static char *wires = "";
module_param(wires, charp, 0444);
MODULE_PARM_DESC(wires, "Jumpers, e.g. 27>17,22>18: line 27's level drives input 17");

struct vgpio_wire {
	unsigned int src;
	unsigned int dst;
};

/* Private data of one debugfs file. */
struct vgpio_line {
	struct vgpio *vg;
	unsigned int offset;
	char name[16];			/* "GPIO" and any u32: W=1 checks the range */
};

/* A bouncing contact on one line; all but the timer under vg->lock. */
struct vgpio_bounce {
	struct hrtimer timer;
	unsigned int line;
	unsigned int armed;		/* bounces at the line's next change; 0: none */
	unsigned int flips;		/* flips still to make; 0: not bouncing */
	bool settled;			/* the level it ends at */
	ktime_t gap;			/* between two flips */
};

struct vgpio {
	struct gpio_chip gc;
	struct platform_device *pdev;
	struct fwnode_handle *fwnode;
	struct dentry *dbg_root;
	struct irq_work irq_work;
	struct vgpio_wire *wires;
	unsigned int nwires;
	u32 base;			/* gc.base once registered, for debugfs */

	raw_spinlock_t lock;		/* protects the bitmaps */
	DECLARE_BITMAP(is_out, VGPIO_MAX_LINES);
	DECLARE_BITMAP(driven, VGPIO_MAX_LINES);
	DECLARE_BITMAP(applied, VGPIO_MAX_LINES);
	DECLARE_BITMAP(unmasked, VGPIO_MAX_LINES);
	DECLARE_BITMAP(rising, VGPIO_MAX_LINES);
	DECLARE_BITMAP(falling, VGPIO_MAX_LINES);
	DECLARE_BITMAP(pending, VGPIO_MAX_LINES);
	DECLARE_BITMAP(todo, VGPIO_MAX_LINES);	/* wire propagation */
	struct vgpio_bounce bounce;

	struct vgpio_line lines[];
};

/* The single instance, for module_exit(). */
static struct vgpio *vgpio_dev;

/* ---- line state, all called with vg->lock held ---- */

static bool vgpio_level(struct vgpio *vg, unsigned int off)
{
	if (test_bit(off, vg->is_out))
		return test_bit(off, vg->driven);
	return test_bit(off, vg->applied);
}

/* Latch an edge of @off, now at @level, if its interrupt wants it. */
static void vgpio_edge(struct vgpio *vg, unsigned int off, bool level)
{
	if (!test_bit(off, vg->unmasked))
		return;
	if (!test_bit(off, level ? vg->rising : vg->falling))
		return;
	__set_bit(off, vg->pending);
	irq_work_queue(&vg->irq_work);
}

/*
 * The level of @off may have changed from @old: fire its edge and carry the
 * new level along the wires.  Every line reached takes that same level, and
 * a line whose level does not change stops the walk, so each line changes
 * at most once: chains end, loops (17>27,27>17) settle, and the loop runs
 * at most ngpio times.  A wire passes its source's level whatever the
 * source's direction: a button on input 4 also reaches 4's wire partner.
 */
static void vgpio_changed(struct vgpio *vg, unsigned int off, bool old)
{
	unsigned int line, dst, i;
	bool level = vgpio_level(vg, off);

	if (level == old)
		return;
	vgpio_edge(vg, off, level);
	__set_bit(off, vg->todo);

	while ((line = find_first_bit(vg->todo, vg->gc.ngpio)) < vg->gc.ngpio) {
		__clear_bit(line, vg->todo);
		for (i = 0; i < vg->nwires; i++) {
			if (vg->wires[i].src != line)
				continue;
			dst = vg->wires[i].dst;
			old = vgpio_level(vg, dst);
			__assign_bit(dst, vg->applied, level);
			if (vgpio_level(vg, dst) == old)
				continue;
			vgpio_edge(vg, dst, level);
			__set_bit(dst, vg->todo);
		}
	}
}

/*
 * @off was written from outside (its level was @old): a change starts the
 * bounce armed for it; during a bounce, the level written is where it settles.
 */
static void vgpio_bounce_start(struct vgpio *vg, unsigned int off, bool old)
{
	struct vgpio_bounce *b = &vg->bounce;
	bool level = vgpio_level(vg, off);

	if (off != b->line)
		return;
	b->settled = level;	/* even mid-bounce, where the line may be there */
	if (!b->armed || b->flips || level == old)
		return;
	b->flips = 2 * b->armed;
	b->armed = 0;
	hrtimer_start(&b->timer, b->gap, HRTIMER_MODE_REL_HARD);
}

/* Hard-IRQ context: one flip of the bouncing line. */
static enum hrtimer_restart vgpio_bounce_flip(struct hrtimer *timer)
{
	struct vgpio *vg = container_of(timer, struct vgpio, bounce.timer);
	struct vgpio_bounce *b = &vg->bounce;
	enum hrtimer_restart again = HRTIMER_NORESTART;
	unsigned long flags;
	unsigned int off;
	bool old;

	raw_spin_lock_irqsave(&vg->lock, flags);
	if (b->flips) {
		off = b->line;
		b->flips--;
		old = vgpio_level(vg, off);
		/* odd flips left: away from the settled level; none: at it */
		__assign_bit(off, test_bit(off, vg->is_out) ? vg->driven : vg->applied,
			     b->settled ^ (b->flips & 1));
		vgpio_changed(vg, off, old);
		if (b->flips) {
			hrtimer_forward_now(timer, b->gap);
			again = HRTIMER_RESTART;
		}
	}
	raw_spin_unlock_irqrestore(&vg->lock, flags);
	return again;
}

/* Set bit @off of @map to @val and propagate the consequences. */
static void vgpio_update(struct vgpio *vg, unsigned long *map,
			 unsigned int off, bool val)
{
	unsigned long flags;
	bool old;

	raw_spin_lock_irqsave(&vg->lock, flags);
	old = vgpio_level(vg, off);
	__assign_bit(off, map, val);
	vgpio_changed(vg, off, old);
	vgpio_bounce_start(vg, off, old);
	raw_spin_unlock_irqrestore(&vg->lock, flags);
}

static bool vgpio_get_level(struct vgpio *vg, unsigned int off)
{
	unsigned long flags;
	bool level;

	raw_spin_lock_irqsave(&vg->lock, flags);
	level = vgpio_level(vg, off);
	raw_spin_unlock_irqrestore(&vg->lock, flags);
	return level;
}

/* ---- gpio_chip ops: non-sleeping, .set is called from hard IRQs ---- */

static int vgpio_get(struct gpio_chip *gc, unsigned int offset)
{
	return vgpio_get_level(gpiochip_get_data(gc), offset);
}

static int vgpio_set(struct gpio_chip *gc, unsigned int offset, int value)
{
	struct vgpio *vg = gpiochip_get_data(gc);

	vgpio_update(vg, vg->driven, offset, value);
	return 0;
}

static int vgpio_get_direction(struct gpio_chip *gc, unsigned int offset)
{
	struct vgpio *vg = gpiochip_get_data(gc);
	unsigned long flags;
	bool out;

	raw_spin_lock_irqsave(&vg->lock, flags);
	out = test_bit(offset, vg->is_out);
	raw_spin_unlock_irqrestore(&vg->lock, flags);
	return out ? GPIO_LINE_DIRECTION_OUT : GPIO_LINE_DIRECTION_IN;
}

static int vgpio_direction_input(struct gpio_chip *gc, unsigned int offset)
{
	struct vgpio *vg = gpiochip_get_data(gc);

	vgpio_update(vg, vg->is_out, offset, false);
	return 0;
}

static int vgpio_direction_output(struct gpio_chip *gc, unsigned int offset,
				  int value)
{
	struct vgpio *vg = gpiochip_get_data(gc);
	unsigned long flags;
	bool old;

	raw_spin_lock_irqsave(&vg->lock, flags);
	old = vgpio_level(vg, offset);
	__assign_bit(offset, vg->driven, value);
	__set_bit(offset, vg->is_out);
	vgpio_changed(vg, offset, old);
	vgpio_bounce_start(vg, offset, old);
	raw_spin_unlock_irqrestore(&vg->lock, flags);
	return 0;
}

/* ---- irq_chip ---- */

static struct vgpio *irqd_to_vgpio(struct irq_data *d)
{
	return gpiochip_get_data(irq_data_get_irq_chip_data(d));
}

/*
 * Also used as irq_disable, so disable_irq() stops edge detection at once
 * instead of lazily: an edge while disabled is lost, not replayed later.
 * Latched edges not yet delivered are dropped too.
 */
static void vgpio_irq_mask(struct irq_data *d)
{
	struct vgpio *vg = irqd_to_vgpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&vg->lock, flags);
	__clear_bit(hwirq, vg->unmasked);
	__clear_bit(hwirq, vg->pending);
	raw_spin_unlock_irqrestore(&vg->lock, flags);
	gpiochip_disable_irq(&vg->gc, hwirq);
}

static void vgpio_irq_unmask(struct irq_data *d)
{
	struct vgpio *vg = irqd_to_vgpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	gpiochip_enable_irq(&vg->gc, hwirq);
	raw_spin_lock_irqsave(&vg->lock, flags);
	__set_bit(hwirq, vg->unmasked);
	raw_spin_unlock_irqrestore(&vg->lock, flags);
}

/* Nothing to acknowledge: the pending bit is cleared on delivery. */
static void vgpio_irq_ack(struct irq_data *d)
{
}

static int vgpio_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct vgpio *vg = irqd_to_vgpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	type &= IRQ_TYPE_SENSE_MASK;
	if (type & IRQ_TYPE_LEVEL_MASK)
		return -EINVAL;		/* edges only, like the labs need */

	raw_spin_lock_irqsave(&vg->lock, flags);
	__assign_bit(hwirq, vg->rising, type & IRQ_TYPE_EDGE_RISING);
	__assign_bit(hwirq, vg->falling, type & IRQ_TYPE_EDGE_FALLING);
	raw_spin_unlock_irqrestore(&vg->lock, flags);
	return 0;
}

/*
 * The core replays an edge it could not deliver (it raced with masking).
 * Replay it through the irq_work, so it still arrives in hard-IRQ context
 * rather than from the core's software-resend tasklet.
 */
static int vgpio_irq_retrigger(struct irq_data *d)
{
	struct vgpio *vg = irqd_to_vgpio(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&vg->lock, flags);
	if (test_bit(hwirq, vg->unmasked)) {
		__set_bit(hwirq, vg->pending);
		irq_work_queue(&vg->irq_work);
	}
	raw_spin_unlock_irqrestore(&vg->lock, flags);
	return 1;
}

/* /proc/interrupts names the chip by its label, as a Pi names its pinctrl. */
static void vgpio_irq_print_chip(struct irq_data *d, struct seq_file *p)
{
	seq_puts(p, irqd_to_vgpio(d)->gc.label);
}

static const struct irq_chip vgpio_irq_chip = {
	.name		= "vgpio",
	.irq_print_chip	= vgpio_irq_print_chip,
	.irq_ack	= vgpio_irq_ack,
	.irq_mask	= vgpio_irq_mask,
	.irq_unmask	= vgpio_irq_unmask,
	.irq_disable	= vgpio_irq_mask,
	.irq_enable	= vgpio_irq_unmask,
	.irq_set_type	= vgpio_irq_set_type,
	.irq_retrigger	= vgpio_irq_retrigger,
	.flags		= IRQCHIP_IMMUTABLE,
	GPIOCHIP_IRQ_RESOURCE_HELPERS,
};

/*
 * Runs in hard-IRQ context (IRQ_WORK_INIT_HARD): the "interrupt controller"
 * raising each latched edge.  Lines are scanned once in order; an edge
 * latched behind the scan (say by a handler) re-queued the work and is
 * delivered on its next run, so a feedback loop cannot trap us here.
 */
static void vgpio_irq_work(struct irq_work *work)
{
	struct vgpio *vg = container_of(work, struct vgpio, irq_work);
	unsigned int n = vg->gc.ngpio;
	unsigned int off = 0;
	unsigned long flags;

	for (;;) {
		raw_spin_lock_irqsave(&vg->lock, flags);
		off = find_next_bit(vg->pending, n, off);
		if (off < n)
			__clear_bit(off, vg->pending);
		raw_spin_unlock_irqrestore(&vg->lock, flags);
		if (off >= n)
			break;
		generic_handle_domain_irq_safe(vg->gc.irq.domain, off);
		off++;
	}
}

/* ---- debugfs: the outside world ---- */

static ssize_t vgpio_dbg_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct vgpio_line *line = file->private_data;
	char buf[2];

	buf[0] = vgpio_get_level(line->vg, line->offset) ? '1' : '0';
	buf[1] = '\n';
	return simple_read_from_buffer(ubuf, count, ppos, buf, sizeof(buf));
}

/* Accept exactly "0" or "1", with an optional trailing newline. */
static ssize_t vgpio_dbg_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct vgpio_line *line = file->private_data;
	char buf[2];

	if (count < 1 || count > sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	if (count == 2 && buf[1] != '\n')
		return -EINVAL;
	if (buf[0] != '0' && buf[0] != '1')
		return -EINVAL;

	vgpio_update(line->vg, line->vg->applied, line->offset, buf[0] == '1');
	return count;
}

/* "<line> <bounces> <us>": arm a bounce for the line's next level change. */
static ssize_t vgpio_bounce_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct vgpio *vg = file->private_data;
	unsigned int line, bounces, us;
	unsigned long flags;
	char buf[40];
	int ret = count;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%u %u %u", &line, &bounces, &us) != 3 ||
	    line >= vg->gc.ngpio || !bounces || bounces > VGPIO_MAX_BOUNCES ||
	    !us || us > VGPIO_MAX_BOUNCE_US)
		return -EINVAL;

	raw_spin_lock_irqsave(&vg->lock, flags);
	if (vg->bounce.flips) {
		ret = -EBUSY;		/* one bounce at a time */
	} else {
		vg->bounce.line = line;
		vg->bounce.armed = bounces;
		vg->bounce.gap = ns_to_ktime(div_u64((u64)us * NSEC_PER_USEC,
						     2 * bounces));
	}
	raw_spin_unlock_irqrestore(&vg->lock, flags);
	return ret;
}

static const struct file_operations vgpio_bounce_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= vgpio_bounce_write,
};

static const struct file_operations vgpio_line_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= vgpio_dbg_read,
	.write	= vgpio_dbg_write,
	.llseek	= default_llseek,
};

/* debugfs is a debugging aid: failures there are not fatal. */
static void vgpio_debugfs_init(struct vgpio *vg)
{
	struct dentry *dir;
	unsigned int i;

	vg->dbg_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	dir = debugfs_create_dir(vg->gc.label, vg->dbg_root);
	if (IS_ERR(dir))
		pr_warn("%s: no debugfs directory (%ld), lines cannot be driven from outside\n",
			vg->gc.label, PTR_ERR(dir));

	debugfs_create_u32("base", 0444, dir, &vg->base);
	debugfs_create_file("bounce", 0200, dir, vg, &vgpio_bounce_fops);
	for (i = 0; i < vg->gc.ngpio; i++)
		debugfs_create_file(vg->lines[i].name, 0644, dir,
				    &vg->lines[i], &vgpio_line_fops);
}

/* ---- parameters ---- */

static int vgpio_check_params(void)
{
	if (ngpio == 0 || ngpio > VGPIO_MAX_LINES) {
		pr_err("ngpio=%u: must be 1..%u\n", ngpio, VGPIO_MAX_LINES);
		return -EINVAL;
	}
	if (base < -1 || base > INT_MAX - (int)ngpio) {
		pr_err("base=%d: must be -1 (dynamic) or 0..%d\n",
		       base, INT_MAX - (int)ngpio);
		return -EINVAL;
	}
	if (!label || !*label || strlen(label) >= VGPIO_MAX_LABEL ||
	    strchr(label, '/') || !strcmp(label, ".") || !strcmp(label, "..")) {
		pr_err("label='%s': need 1..%d characters, no '/'\n",
		       label ? label : "", VGPIO_MAX_LABEL - 1);
		return -EINVAL;
	}
	return 0;
}

/* Parse one "<src>><dst>" item into vg->wires; @item is restored on return. */
static int vgpio_parse_wire(struct vgpio *vg, char *item)
{
	char *gt = strchr(item, '>');
	unsigned int src, dst, i;
	int ret;

	if (!gt) {
		pr_err("wires: bad item '%s': expected <line>><line>\n", item);
		return -EINVAL;
	}
	*gt = '\0';
	ret = kstrtouint(strim(item), 10, &src);
	if (!ret)
		ret = kstrtouint(strim(gt + 1), 10, &dst);
	*gt = '>';
	if (ret) {
		pr_err("wires: bad item '%s': expected <line>><line>\n", item);
		return -EINVAL;
	}
	if (src >= vg->gc.ngpio || dst >= vg->gc.ngpio) {
		pr_err("wires: bad item '%s': lines are 0..%u\n",
		       item, vg->gc.ngpio - 1);
		return -EINVAL;
	}
	if (src == dst) {
		pr_err("wires: bad item '%s': a line cannot drive itself\n", item);
		return -EINVAL;
	}
	for (i = 0; i < vg->nwires; i++) {
		if (vg->wires[i].dst == dst) {
			pr_err("wires: bad item '%s': line %u is already driven by line %u\n",
			       item, dst, vg->wires[i].src);
			return -EINVAL;
		}
	}
	vg->wires[vg->nwires].src = src;
	vg->wires[vg->nwires].dst = dst;
	vg->nwires++;
	return 0;
}

/* On error the caller frees vg->wires. */
static int vgpio_parse_wires(struct vgpio *vg, const char *spec)
{
	unsigned int n = 1;
	char *buf, *cur, *item;
	const char *p;
	int ret = 0;

	if (!spec || !*spec)
		return 0;
	for (p = spec; *p; p++)
		n += *p == ',';

	vg->wires = kcalloc(n, sizeof(*vg->wires), GFP_KERNEL);
	if (!vg->wires)
		return -ENOMEM;
	buf = kstrdup(spec, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	cur = buf;
	while (!ret && (item = strsep(&cur, ",")))
		ret = vgpio_parse_wire(vg, item);
	kfree(buf);
	return ret;
}

/* ---- module ---- */

/*
 * The chip's firmware node, carrying the line names (the core copies them).
 * It is deliberately not the parent's managed node (platform_device_info
 * .properties): the chip's device would share it, and on 6.1 removing a
 * device that shares a managed software node drops one reference too many.
 */
static int vgpio_create_fwnode(struct vgpio *vg)
{
	struct property_entry props[2] = { };
	const char **names;
	unsigned int i;

	names = kcalloc(vg->gc.ngpio, sizeof(*names), GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	for (i = 0; i < vg->gc.ngpio; i++)
		names[i] = vg->lines[i].name;
	props[0] = PROPERTY_ENTRY_STRING_ARRAY_LEN("gpio-line-names", names,
						   vg->gc.ngpio);

	vg->fwnode = fwnode_create_software_node(props, NULL);
	kfree(names);
	return PTR_ERR_OR_ZERO(vg->fwnode);
}

static void vgpio_setup_chip(struct vgpio *vg)
{
	struct gpio_chip *gc = &vg->gc;
	struct gpio_irq_chip *girq = &gc->irq;

	gc->label = label;
	gc->parent = &vg->pdev->dev;
	gc->fwnode = vg->fwnode;
	gc->owner = THIS_MODULE;
	gc->base = base;
	gc->can_sleep = false;
	gc->get = vgpio_get;
	gc->set = vgpio_set_op(gc);
	gc->get_direction = vgpio_get_direction;
	gc->direction_input = vgpio_direction_input;
	gc->direction_output = vgpio_direction_output;

	gpio_irq_chip_set_chip(girq, &vgpio_irq_chip);
	girq->handler = handle_edge_irq;
	girq->default_type = IRQ_TYPE_NONE;
}

static int __init vgpio_init(void)
{
	struct vgpio *vg;
	unsigned int i;
	int ret;

	ret = vgpio_check_params();
	if (ret)
		return ret;

	vg = kzalloc(struct_size(vg, lines, ngpio), GFP_KERNEL);
	if (!vg)
		return -ENOMEM;
	raw_spin_lock_init(&vg->lock);
	vgpio_hrtimer_setup(&vg->bounce.timer, vgpio_bounce_flip);
	vg->irq_work = IRQ_WORK_INIT_HARD(vgpio_irq_work);
	vg->gc.ngpio = ngpio;

	for (i = 0; i < ngpio; i++) {
		vg->lines[i].vg = vg;
		vg->lines[i].offset = i;
		snprintf(vg->lines[i].name, sizeof(vg->lines[i].name), "GPIO%u", i);
	}

	ret = vgpio_parse_wires(vg, wires);
	if (ret)
		goto err_free_wires;	/* a partial vg->wires is freed too */

	ret = vgpio_create_fwnode(vg);
	if (ret)
		goto err_free_wires;

	vg->pdev = platform_device_register_simple(KBUILD_MODNAME,
						   PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(vg->pdev)) {
		ret = PTR_ERR(vg->pdev);
		goto err_remove_fwnode;
	}

	vgpio_setup_chip(vg);
	ret = gpiochip_add_data(&vg->gc, vg);
	if (ret) {
		pr_err("%s: cannot add GPIO chip: %d\n", label, ret);
		goto err_unregister_pdev;
	}
	vg->base = vg->gc.base;	/* gpiolib stores a dynamic base there */

	vgpio_debugfs_init(vg);
	vgpio_dev = vg;
	pr_info("%s: %u lines at base %u, %u wires\n",
		label, ngpio, vg->base, vg->nwires);
	return 0;

err_unregister_pdev:
	platform_device_unregister(vg->pdev);
err_remove_fwnode:
	fwnode_remove_software_node(vg->fwnode);
err_free_wires:
	kfree(vg->wires);
	kfree(vg);
	return ret;
}

static void __exit vgpio_exit(void)
{
	struct vgpio *vg = vgpio_dev;

	/*
	 * No line is requested (gpiolib holds a module reference for each),
	 * so once the outside world is gone nothing can latch an edge: flush
	 * the last one before the irq domain goes away with the chip.
	 */
	debugfs_remove_recursive(vg->dbg_root);
	hrtimer_cancel(&vg->bounce.timer);
	irq_work_sync(&vg->irq_work);
	gpiochip_remove(&vg->gc);
	platform_device_unregister(vg->pdev);
	fwnode_remove_software_node(vg->fwnode);
	pr_info("%s: removed\n", vg->gc.label);
	kfree(vg->wires);
	kfree(vg);
}

module_init(vgpio_init);
module_exit(vgpio_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Virtual Raspberry Pi GPIO header with wires and edge interrupts");
