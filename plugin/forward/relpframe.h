/*
 * relpframe: RELP's frames as bytes, for a client (the node's forwarder).
 *
 * RELP (https://github.com/rsyslog/librelp/blob/master/doc/relp.md):
 *   RELP-FRAME = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *   TXNR 1..999,999,999 (then 1 again; 0 is the server's hints), COMMAND
 *   1..32 letters, DATALEN up to 9 digits, DATA present only when DATALEN > 0.
 * A response is "TXNR rsp DATALEN DATA" whose DATA starts with a 3-digit
 * status (200 OK); the server answers in the order the commands were sent.
 * Nothing here does I/O: relpconn.h moves the bytes.
 */
#ifndef RELPFRAME_H
#define RELPFRAME_H

#include <stdbool.h>
#include <stddef.h>

#define RELP_TXNR_MAX 999999999u
/* The longest DATA kept from a server's frame: responses and hints are a
 * status line and the offers of an "open", never more than a few hundred
 * bytes (librelp's own offers); a server sending more is broken or hostile. */
#define RELP_RX_DATA_MAX 4096u
/* Room for a header: 9 digits, a 32-letter command, 9 digits, 3 spaces. */
#define RELP_HEADER_MAX 64u

/*
 * relp_next_txnr(txnr):
 * The transaction number after `txnr`: 1 after 0 and after RELP_TXNR_MAX.
 */
unsigned relp_next_txnr(unsigned txnr);

/*
 * relp_header(buf, cap, txnr, cmd, datalen):
 * Write the frame header "TXNR SP COMMAND SP DATALEN", followed by the SP
 * that separates DATA when datalen > 0, into buf (not NUL-terminated).  The
 * caller writes DATA and the trailing LF.  Returns the header's length, or
 * -EINVAL when txnr, cmd (1..32 letters) or datalen (over 9 digits) cannot
 * be framed, -ENOSPC when cap is too small.
 */
int relp_header(char *buf, size_t cap, unsigned txnr, const char *cmd,
    size_t datalen);

/* A frame from the server, read byte by byte. */
struct relp_rx {
	int state;		/* where in the frame the next byte goes */
	unsigned digits;	/* digits read of the current number */
	unsigned txnr;
	char cmd[33];		/* NUL-terminated */
	unsigned cmdlen;
	size_t datalen;
	size_t got;		/* DATA bytes read */
	char data[RELP_RX_DATA_MAX + 1];	/* NUL-terminated */
};

enum relp_rx_result {
	RELP_RX_MORE,		/* all bytes used, the frame is not complete */
	RELP_RX_FRAME,		/* a frame is complete: its fields are in rx */
	RELP_RX_BAD		/* not RELP, or DATA over RELP_RX_DATA_MAX */
};

/* relp_rx_init(rx): ready to read the first byte of a frame. */
void relp_rx_init(struct relp_rx *rx);

/*
 * relp_rx_feed(rx, bytes, n, used):
 * Read up to n bytes into the frame being read; stops right after a frame's
 * trailing LF, so *used (the bytes consumed) may be less than n.  After
 * RELP_RX_FRAME the fields stay valid until the next call, which starts a
 * new frame.  After RELP_RX_BAD the session must be dropped (RELP: "the
 * peer that detects the problem closes the connection").
 */
enum relp_rx_result relp_rx_feed(struct relp_rx *rx, const char *bytes,
    size_t n, size_t *used);

/*
 * relp_rsp_status(data, len):
 * The status of a response's DATA: its leading 3 digits, followed by the
 * end, a space or a LF.  Returns 100..999, or -1 when DATA does not start
 * so.
 */
int relp_rsp_status(const char *data, size_t len);

/*
 * relp_offer_has(data, len, name, value):
 * Whether the offers after a response's status line (LF-separated
 * "name=value,value...") include `value` in offer `name`.
 */
bool relp_offer_has(const char *data, size_t len, const char *name,
    const char *value);

#endif /* !RELPFRAME_H */
