/*
 * wazuh-k8s-audit-forward: rsyslog omprog program on a control-plane node;
 * its lines go to the managers' RELP listeners, each held until one
 * acknowledged it (forward.h, relay.h), kept across a stop (keep.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forward.h"
#include "fwdopts.h"
#include "keep.h"
#include "log.h"
#include "omprog.h"
#include "privdrop.h"
#include "relay.h"
#include "stopsig.h"

static void
keepalive(void *arg)
{
	(void)omprog_keepalive(arg);
}

/* Read what needs root (the node's key, the spool directory), then leave
 * root.  Returns the TLS context, or NULL after logging why. */
static SSL_CTX *
prepare(const struct fwd_options *o, struct spool *sp, const struct log *lg)
{
	struct privdrop pd;
	char err[512];
	SSL_CTX *ctx;
	int rc;

	if ((ctx = relp_tls_context(o->ca, o->cert, o->key, err,
	    sizeof(err))) == NULL) {
		log_msg(lg, LOG_ERR, "%s", err);
		return NULL;
	}
	if ((rc = privdrop_plan(&pd, o->user, o->allow_root)) != 0) {
		log_msg(lg, LOG_ERR, "cannot plan to leave root (--user, or "
		    "--allow-root): %s", strerror(-rc));
		goto fail;
	}
	if ((rc = spool_open(sp, o->spool_dir, o->max_line,
	    pd.drop ? pd.uid : geteuid())) != 0) {
		log_msg(lg, LOG_ERR, "spool %s: %s", o->spool_dir,
		    strerror(-rc));
		goto fail;
	}
	if ((rc = privdrop_hand_over(&pd, sp->created ? sp->dirfd : -1)) != 0 ||
	    (rc = privdrop_apply(&pd)) != 0) {
		log_msg(lg, LOG_ERR, "cannot leave root: %s", strerror(-rc));
		spool_close(sp);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* The lines kept at the last stop, then rsyslog's; at the end, keep what
 * no manager acknowledged.  Returns the exit status. */
static int
run(struct omprog *io, struct forward *f, struct spool *sp,
    const struct log *lg)
{
	int rc = keep_replay(sp, f, lg);

	if (rc == -EINTR)
		return EXIT_SUCCESS;	/* they stay in the spool */
	if (rc != 0)
		return EXIT_FAILURE;
	rc = relay_run(io, f, lg);
	if (keep_save(sp, f, lg) < 0)
		return EXIT_FAILURE;
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
main(int argc, char *argv[])
{
	const struct log lg = { LOG_TARGET_STDERR };
	struct fwd_options o;
	struct fwd_config cfg;
	struct forward f;
	struct omprog io;
	struct stopsig stop;
	struct spool sp;
	SSL_CTX *ctx;
	int status;

	switch (fwd_options_parse(argc, argv, &o)) {
	case FWD_EXIT_OK:
		return EXIT_SUCCESS;
	case FWD_EXIT_USAGE:
		return 2;
	case FWD_RUN:
		break;
	}
	/* A manager or rsyslog gone shows up as EPIPE, not as death. */
	signal(SIGPIPE, SIG_IGN);
	if (stopsig_open(&stop) != 0 || (ctx = prepare(&o, &sp, &lg)) == NULL)
		return EXIT_FAILURE;
	if (omprog_init(&io, STDIN_FILENO, STDOUT_FILENO, stop.fd,
	    o.max_line) != 0) {
		spool_close(&sp);
		SSL_CTX_free(ctx);
		return EXIT_FAILURE;
	}
	cfg = (struct fwd_config){
		.targets = o.targets, .ntargets = o.ntargets, .ctx = ctx,
		.window = o.window, .window_bytes = o.window_bytes,
		.hold_bytes = o.hold_bytes,
		.timeout_ms = o.timeout_ms, .ack_timeout_ms = o.ack_timeout_ms,
		.return_after_ms = o.return_after_ms, .stop_fd = stop.fd,
		.lg = &lg, .alive = keepalive, .alive_arg = &io
	};
	fwd_init(&f, &cfg);
	status = run(&io, &f, &sp, &lg);
	log_msg(&lg, LOG_INFO, "stopping: %llu acknowledged, %llu sent again, "
	    "%llu session(s), %llu refused", f.counts.acked, f.counts.resent,
	    f.counts.sessions, f.counts.refused);
	fwd_close(&f);
	omprog_free(&io);
	spool_close(&sp);
	stopsig_close(&stop);
	SSL_CTX_free(ctx);
	return status;
}
