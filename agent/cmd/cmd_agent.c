/* evident agent: run the daemon (see agent/daemon/daemon.h). With --foreground it runs in the
 * calling process (what systemd's Type=notify wants); without, it detaches (fork, setsid,
 * fork, stdio to /dev/null) and the parent exits 0 only once the daemon is ready, 2 if it
 * failed to start. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/paths.h"
#include "agent/cmd/commands.h"
#include "agent/daemon/daemon.h"

static int detach(int *ret_ready_fd) {
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) { /* the original process: wait for readiness */
		close(p[1]);
		char c = 0;
		ssize_t n;
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		close(p[0]);
		int st;
		waitpid(pid, &st, 0); /* the intermediate child exits at once */
		_exit(n == 1 && c == 'R' ? EV_EXIT_OK : EV_EXIT_USAGE);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(EV_EXIT_USAGE);
	pid = fork();
	if (pid < 0)
		_exit(EV_EXIT_USAGE);
	if (pid > 0)
		_exit(EV_EXIT_OK);
	if (chdir("/") < 0)
		_exit(EV_EXIT_USAGE);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		/* stderr stays until ready so start-up errors are seen; then /dev/null */
		close(nul);
	}
	*ret_ready_fd = p[1];
	return 0;
}

static int agent_run(int argc, char **argv) {
	enum { OPT_STATE_DIR = 0x2000, OPT_SOCKET };
	static const struct option opts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"config", required_argument, NULL, 'c'},
	        {"foreground", no_argument, NULL, 'f'},
	        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	        {"socket", required_argument, NULL, OPT_SOCKET},
	        {NULL, 0, NULL, 0},
	};
	struct ev_daemon_opts o = {.ready_fd = -1};
	bool foreground = false;
	int c;
	while ((c = getopt_long(argc, argv, "hc:f", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_agent);
		case 'c':
			o.config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case OPT_STATE_DIR:
			o.state_dir = optarg;
			break;
		case OPT_SOCKET:
			o.socket_path = optarg;
			break;
		default:
			return ev_option_error(&ev_cmd_agent, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_agent, "unexpected argument '%s'", argv[optind]);
	/* Absolute paths: reload re-reads the configuration, and a detached agent runs in /. */
	_cleanup_free_ char *config = NULL, *state_dir = NULL;
	if (!o.config_path && *ev_config_default_path())
		o.config_path = ev_config_default_path();
	if (o.config_path && !(config = realpath(o.config_path, NULL))) {
		ev_log_error("--config %s: %s", o.config_path, strerror(errno));
		return EV_EXIT_USAGE;
	}
	if (config)
		o.config_path = config;
	if (o.state_dir && o.state_dir[0] != '/') {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd || asprintf(&state_dir, "%s/%s", cwd, o.state_dir) < 0) {
			ev_log_error("--state-dir %s: %s", o.state_dir, strerror(errno));
			return EV_EXIT_USAGE;
		}
		o.state_dir = state_dir;
	}
	if (!foreground) {
		int r = detach(&o.ready_fd);
		if (r < 0) {
			ev_log_error("cannot detach: %s", strerror(-r));
			return EV_EXIT_USAGE;
		}
	}
	return ev_daemon_run(&o);
}

const struct ev_command ev_cmd_agent = {
        .name = "agent",
        .summary = "run the agent daemon (tail, correlate, alert, seal; control socket)",
        .run = agent_run,
        .usage = "Usage: evident agent [--config FILE] [--foreground] [--state-dir DIR] [--socket "
                 "PATH]\n"
                 "\n"
                 "Run the agent: one event loop for the sources, the rules, the alert sinks,\n"
                 "the worker queue and the control socket. SIGTERM stops it cleanly, SIGHUP\n"
                 "(or `evident reload`) re-reads FILE; a configuration with errors is refused\n"
                 "and the running one stays. Speaks sd_notify (Type=notify) and the watchdog.\n"
                 "Detached (without --foreground), the stdout sink's alerts go to\n"
                 "STATE_DIR/alerts.jsonl and messages to the journal; the start message says\n"
                 "where alerts go.\n"
                 "\n"
                 "  -c, --config FILE  configuration (default: " EV_CONFIG_DEFAULT_HELP ")\n"
                 "  -f, --foreground   stay in the foreground (systemd); otherwise detach once "
                 "ready\n"
                 "      --state-dir DIR  override agent.state_dir (created with its parents,\n"
                 "                       mode 0750, if missing)\n"
                 "      --socket PATH    override agent.control_socket\n"
                 "  -h, --help         show this help\n",
};
