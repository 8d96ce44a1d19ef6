/*
 * cmd.h - wbstore subcommands: one cmd-<name>.c each.
 */
#ifndef WBS_CMD_H
#define WBS_CMD_H

struct cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*usage;		/* after "wbstore NAME " */
	const char	*summary;
};

int	cmd_ls(int argc, char **argv);
int	cmd_show(int argc, char **argv);
int	cmd_verify(int argc, char **argv);
int	cmd_export(int argc, char **argv);
int	cmd_sync(int argc, char **argv);
int	cmd_import(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_sync_now(int argc, char **argv);
int	cmd_seal(int argc, char **argv);
int	cmd_stop(int argc, char **argv);

/* Print "usage: wbstore NAME USAGE" and the help text; exit code. */
int	cmd_usage(const char *name, int status);
/* Standard --help / unknown option handling for getopt_long loops. */
#define CMD_EXIT_OK	0
#define CMD_EXIT_FAIL	1
#define CMD_EXIT_USAGE	2

/* Human forms. */
void	fmt_size(char *out, size_t len, unsigned long long bytes);
void	fmt_time(char *out, size_t len, long long us);
const char *fmt_state(int state, int live);

#endif /* WBS_CMD_H */
