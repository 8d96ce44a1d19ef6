/*
 * train.c - an example trainer: logs a realistic run with libwbstore.
 *
 * usage: train [-n STEPS] [-d MS] [-p PROJECT] [-i ID] [-e EXIT]
 *
 * -d MS waits MS milliseconds per step, as a real training step would.
 *
 * Config with nested values, STEPS steps of training metrics, validation
 * every 50 steps, define_metric, summary, console output (with a \r
 * progress bar and a warning on stderr), system stats, a checkpoint file,
 * then exit.  The W&B environment variables apply (WANDB_DIR, ...).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wbstore/wbstore.h>

static void
check(struct wbs_run *run, int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "train: %s: %s\n", what, wbs_run_errmsg(run));
		exit(1);
	}
}

/* A few system figures from /proc, as a stats sampler would take. */
static void
sample_stats(struct wbs_run *run, int step)
{
	double		load = 0, total = 1, avail = 1;
	char		line[256];
	FILE		*f;

	if ((f = fopen("/proc/loadavg", "r")) != NULL) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 0;
		fclose(f);
	}
	if ((f = fopen("/proc/meminfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			sscanf(line, "MemTotal: %lf", &total);
			sscanf(line, "MemAvailable: %lf", &avail);
		}
		fclose(f);
	}
	{
		struct wbs_item st[] = {
			WBS_DOUBLE_ITEM("cpu", load * 50.0),
			WBS_DOUBLE_ITEM("memory_percent",
			    100.0 * (1.0 - avail / total)),
			WBS_DOUBLE_ITEM("gpu.0.gpu", 80.0 + 10.0 *
			    sin(step / 40.0)),
			WBS_DOUBLE_ITEM("gpu.0.memoryAllocated", 61.5),
		};

		check(run, wbs_run_stats(run, st, 4), "stats");
	}
}

/* Report a bad option value; exit code 2. */
static int
usage_error(struct wbs_opts *o)
{
	fprintf(stderr, "train: %s\n", wbs_opts_errmsg(o));
	wbs_opts_free(o);
	return 2;
}

int
main(int argc, char **argv)
{
	struct wbs_opts		*o;
	struct wbs_run		*run;
	struct wbs_metric	 m;
	char			 err[512], buf[256], ckpt[] = "/tmp/ckptXXXXXX";
	int			 steps = 1000, delay_ms = 0, exit_code = 0, c, fd;
	double			 best = 0;

	if (wbs_opts_new(&o) != 0)
		return 1;
	while ((c = getopt(argc, argv, "n:d:p:i:e:")) != -1) {
		switch (c) {
		case 'n':
			steps = atoi(optarg);
			break;
		case 'd':
			delay_ms = atoi(optarg);
			break;
		case 'p':
			if (wbs_opts_set(o, WBS_OPT_PROJECT, optarg) != 0)
				return usage_error(o);
			break;
		case 'i':
			if (wbs_opts_set(o, WBS_OPT_ID, optarg) != 0)
				return usage_error(o);
			break;
		case 'e':
			exit_code = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: train [-n STEPS] [-d MS] [-p PROJECT] "
			    "[-i ID] [-e EXIT]\n");
			wbs_opts_free(o);
			return 2;
		}
	}
	if (wbs_opts_set(o, WBS_OPT_PROJECT, getenv("WANDB_PROJECT") ?
	    getenv("WANDB_PROJECT") : "demo") != 0 ||
	    wbs_opts_set(o, WBS_OPT_NAME, "resnet-cifar10") != 0 ||
	    wbs_opts_set(o, WBS_OPT_TAGS, "baseline,cifar10") != 0 ||
	    wbs_opts_set(o, WBS_OPT_GROUP, "sweep-1") != 0 ||
	    wbs_opts_set(o, WBS_OPT_JOB_TYPE, "train") != 0)
		return 1;
	{
		struct wbs_item cfg[] = {
			WBS_STRING_ITEM("model" WBS_SEP "arch", "resnet18"),
			WBS_INT_ITEM("model" WBS_SEP "layers", 18),
			WBS_DOUBLE_ITEM("optimizer" WBS_SEP "lr", 0.1),
			WBS_DOUBLE_ITEM("optimizer" WBS_SEP "momentum", 0.9),
			WBS_JSON_ITEM("optimizer" WBS_SEP "milestones",
			    "[300, 600, 900]"),
			WBS_INT_ITEM("batch_size", 128),
			WBS_STRING_ITEM("dataset", "cifar10"),
			WBS_BOOL_ITEM("amp", 1),
		};

		if (wbs_opts_config(o, cfg, 8) != 0)
			return 1;
	}
	if (wbs_run_open(&run, o, err, sizeof(err)) != 0) {
		fprintf(stderr, "train: %s\n", err);
		wbs_opts_free(o);
		return 1;
	}
	wbs_opts_free(o);
	printf("run %s in %s\n", wbs_run_id(run), wbs_run_dir(run));

	memset(&m, 0, sizeof(m));
	m.name = "val/acc";
	m.step_metric = "epoch";
	m.summary = WBS_SUMMARY_MAX;
	m.goal = WBS_GOAL_MAXIMIZE;
	check(run, wbs_run_define_metric(run, &m), "define_metric");

	for (int step = 0; step < steps; step++) {
		double	lr = 0.1 * pow(0.1, step / 300);
		double	loss = 2.3 * exp(-step / 250.0) + 0.05 *
		    sin(step / 7.0) * exp(-step / 500.0) + 0.1;
		double	acc = 1.0 - loss / 2.5;
		struct wbs_item row[] = {
			WBS_DOUBLE_ITEM("train/loss", loss),
			WBS_DOUBLE_ITEM("train/acc", acc),
			WBS_DOUBLE_ITEM("lr", lr),
			WBS_DOUBLE_ITEM("epoch", step / 100.0),
		};

		if (delay_ms > 0)	/* the time a real step takes */
			usleep((useconds_t)delay_ms * 1000);

		if (step % 50 == 49) {
			double vacc = acc - 0.03;
			struct wbs_item val[] = {
				WBS_DOUBLE_ITEM("val/loss", loss + 0.08),
				WBS_DOUBLE_ITEM("val/acc", vacc),
			};

			/* commit=False: validation joins this step's row. */
			check(run, wbs_run_log(run, val, 2, WBS_STEP_AUTO,
			    WBS_LOG_NOCOMMIT), "log val");
			if (vacc > best)
				best = vacc;
			sample_stats(run, step);
		}
		check(run, wbs_run_log(run, row, 4, WBS_STEP_AUTO, 0), "log");
		if (step % 100 == 0) {
			int n = snprintf(buf, sizeof(buf), "epoch %d: loss %.4f "
			    "acc %.4f\n", step / 100, loss, acc);

			check(run, wbs_run_console(run, WBS_STDOUT, buf,
			    (size_t)n), "console");
			n = snprintf(buf, sizeof(buf), "\rtrain %3d%% |%-20.*s|",
			    100 * step / steps, 20 * step / steps,
			    "####################");
			check(run, wbs_run_console(run, WBS_STDOUT, buf,
			    (size_t)n), "console");
		}
		if (step == steps / 2)
			check(run, wbs_run_console(run, WBS_STDERR,
			    "warning: learning rate decayed\n", 31), "console");
	}
	{
		struct wbs_item sum[] = {
			WBS_DOUBLE_ITEM("best_val_acc", best),
		};

		check(run, wbs_run_summary(run, sum, 1), "summary");
	}
	if ((fd = mkstemp(ckpt)) >= 0) {
		if (write(fd, "weights\n", 8) != 8)
			return 1;
		close(fd);
		check(run, wbs_run_file(run, "model.ckpt", ckpt, WBS_POLICY_END,
		    WBS_FILE_OTHER), "file");
		unlink(ckpt);
	}
	check(run, wbs_run_finish(run, exit_code), "finish");
	wbs_run_close(run);
	return exit_code;
}
