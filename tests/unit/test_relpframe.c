/*
 * test_relpframe: RELP frames as relp.md defines them (librelp's
 * doc/relp.md, "RELP FRAME"), written and read; what a hostile or broken
 * server sends is refused, never read past.
 */
#include <errno.h>
#include <string.h>

#include "relpframe.h"
#include "tap.h"

/* Feed s whole; the result, with the bytes used in *used. */
static enum relp_rx_result
feed(struct relp_rx *rx, const char *s, size_t *used)
{
	return relp_rx_feed(rx, s, strlen(s), used);
}

static bool
has(const char *data, const char *name, const char *value)
{
	return relp_offer_has(data, strlen(data), name, value);
}

static void
test_header(void)
{
	char buf[RELP_HEADER_MAX];
	int n;

	n = relp_header(buf, sizeof(buf), 2, "syslog", 12);
	ok(n == 12 && memcmp(buf, "2 syslog 12 ", 12) == 0,
	    "a syslog frame's header ends with the SP before DATA");
	n = relp_header(buf, sizeof(buf), 7, "close", 0);
	ok(n == 9 && memcmp(buf, "7 close 0", 9) == 0,
	    "no SP after DATALEN 0: the trailer follows");
	ok(relp_header(buf, sizeof(buf), 0, "syslog", 1) == -EINVAL,
	    "txnr 0 is the server's (hints)");
	ok(relp_header(buf, sizeof(buf), RELP_TXNR_MAX + 1, "syslog", 1) ==
	    -EINVAL, "txnr over 9 digits");
	ok(relp_header(buf, sizeof(buf), 1, "sys log", 1) == -EINVAL,
	    "a command is letters only");
	ok(relp_header(buf, sizeof(buf), 1, "", 1) == -EINVAL,
	    "an empty command");
	ok(relp_header(buf, sizeof(buf), 1, "syslog", 1000000000u) == -EINVAL,
	    "DATALEN over 9 digits");
	ok(relp_header(buf, 8, 1, "syslog", 100) == -ENOSPC,
	    "a buffer too small");
	ok(relp_next_txnr(1) == 2 && relp_next_txnr(RELP_TXNR_MAX) == 1 &&
	    relp_next_txnr(0) == 1, "txnr wraps from 999,999,999 to 1");
}

static void
test_rx(void)
{
	struct relp_rx rx;
	const char *two = "2 rsp 6 200 OK\n3 rsp 6 200 OK\n";
	const char *open = "1 rsp 93 200 OK\nrelp_version=0\n"
	    "relp_software=librelp,1.11.0,http://librelp.adiscon.com\n"
	    "commands=syslog\n";	/* as imrelp 8.2302 answers */
	size_t used, at;
	enum relp_rx_result r;

	relp_rx_init(&rx);
	r = feed(&rx, two, &used);
	ok(r == RELP_RX_FRAME && used == 15 && rx.txnr == 2 &&
	    strcmp(rx.cmd, "rsp") == 0 && rx.got == 6 &&
	    strcmp(rx.data, "200 OK") == 0,
	    "one response read, stopping after its LF");
	r = relp_rx_feed(&rx, two + used, strlen(two) - used, &used);
	ok(r == RELP_RX_FRAME && rx.txnr == 3, "the next call reads the next");

	relp_rx_init(&rx);
	for (at = 0, r = RELP_RX_MORE; at < strlen(open) && r == RELP_RX_MORE;
	    at++)
		r = relp_rx_feed(&rx, open + at, 1, &used);
	ok(r == RELP_RX_FRAME && at == strlen(open) && rx.txnr == 1,
	    "a response fed byte by byte");
	ok(relp_rsp_status(rx.data, rx.got) == 200, "its status");
	ok(relp_offer_has(rx.data, rx.got, "commands", "syslog"),
	    "the server offers syslog");
	ok(!relp_offer_has(rx.data, rx.got, "commands", "sys"),
	    "a value is matched whole");
	ok(!has("200 OK\ncommands=eventlog,syslogx", "commands", "syslog"),
	    "...among several");
	ok(has("200 OK\ncommands=eventlog,syslog", "commands", "syslog"),
	    "the last of several values");
	ok(!has("200 OK commands=syslog", "commands", "syslog"),
	    "offers start after the status line");
	ok(!has("200 OK\nxcommands=syslog", "commands", "syslog"),
	    "an offer's name is matched whole");

	relp_rx_init(&rx);
	ok(feed(&rx, "0 serverclose 0\n", &used) == RELP_RX_FRAME &&
	    rx.txnr == 0 && strcmp(rx.cmd, "serverclose") == 0 && rx.got == 0,
	    "the server's close hint, without DATA");

	relp_rx_init(&rx);
	ok(feed(&rx, "1 rsp 3 200", &used) == RELP_RX_MORE && used == 11,
	    "a frame cut before its trailer waits for more");
	ok(feed(&rx, "X", &used) == RELP_RX_BAD, "...and wants a LF there");
}

static void
test_rx_hostile(void)
{
	static const char *const bad[] = {
		"x rsp 6 200 OK\n",		/* txnr not a number */
		"1234567890 rsp 6 200 OK\n",	/* txnr over 9 digits */
		" rsp 6 200 OK\n",		/* no txnr */
		"1  6 200 OK\n",		/* no command */
		"1 r5p 6 200 OK\n",		/* a command is letters */
		"1 abcdefghijklmnopqrstuvwxyzabcdefg 0\n",	/* 33 letters */
		"1 rsp 1234567890 x\n",		/* DATALEN over 9 digits */
		"1 rsp 4097 ",			/* DATA over RELP_RX_DATA_MAX */
		"1 rsp 0 \n",			/* SP after DATALEN 0 */
		"1 rsp 6\n",			/* DATALEN > 0 without SP */
		"1 rsp 2 OKX\n",		/* DATA longer than DATALEN */
		"1 rsp x\n",			/* DATALEN not a number */
	};
	struct relp_rx rx;
	size_t used, i, nbad = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		relp_rx_init(&rx);
		if (feed(&rx, bad[i], &used) == RELP_RX_BAD &&
		    used <= strlen(bad[i]))
			nbad++;
		else
			diag("accepted: %s", bad[i]);
	}
	ok(nbad == sizeof(bad) / sizeof(bad[0]),
	    "%zu malformed frames refused", nbad);
	relp_rx_init(&rx);
	ok(feed(&rx, "1 rsp 4096 ", &used) == RELP_RX_MORE,
	    "DATA of RELP_RX_DATA_MAX bytes is read");
}

static void
test_status(void)
{
	ok(relp_rsp_status("200 OK", 6) == 200, "200 OK");
	ok(relp_rsp_status("500 error", 9) == 500, "500");
	ok(relp_rsp_status("200", 3) == 200, "a bare status");
	ok(relp_rsp_status("200\nrelp_version=0", 17) == 200,
	    "a status before offers");
	ok(relp_rsp_status("2000", 4) == -1, "four digits");
	ok(relp_rsp_status("20", 2) == -1, "two digits");
	ok(relp_rsp_status("OK 200", 6) == -1, "no leading status");
	ok(relp_rsp_status("020 x", 5) == -1, "a leading zero");
}

int
main(void)
{
	test_header();
	test_rx();
	test_rx_hostile();
	test_status();
	return tap_done();
}
