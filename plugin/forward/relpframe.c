#include "relpframe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
	RX_TXNR, RX_CMD, RX_DATALEN, RX_DATA, RX_TRAILER,
	RX_DONE		/* a frame ended: the next byte starts another */
};

unsigned
relp_next_txnr(unsigned txnr)
{
	return txnr >= RELP_TXNR_MAX ? 1 : txnr + 1;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
relp_header(char *buf, size_t cap, unsigned txnr, const char *cmd,
    size_t datalen)
{
	size_t cmdlen = strlen(cmd);
	int n;

	if (txnr == 0 || txnr > RELP_TXNR_MAX || cmdlen == 0 || cmdlen > 32 ||
	    datalen > RELP_TXNR_MAX)
		return -EINVAL;
	for (size_t i = 0; i < cmdlen; i++)
		if (!is_alpha(cmd[i]))
			return -EINVAL;
	n = snprintf(buf, cap, datalen > 0 ? "%u %s %zu " : "%u %s %zu",
	    txnr, cmd, datalen);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

void
relp_rx_init(struct relp_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->state = RX_TXNR;
}

/* Add a digit to a number of at most 9 digits (RELP's NUMBER). */
static bool
add_digit(struct relp_rx *rx, size_t *num, char c)
{
	if (!is_digit(c) || rx->digits == 9)
		return false;
	*num = *num * 10 + (size_t)(c - '0');
	rx->digits++;
	return true;
}

enum relp_rx_result
relp_rx_feed(struct relp_rx *rx, const char *bytes, size_t n, size_t *used)
{
	size_t i, take, txnr;

	if (rx->state == RX_DONE)
		relp_rx_init(rx);
	for (i = 0; i < n; i++) {
		char c = bytes[i];

		switch (rx->state) {
		case RX_TXNR:
			if (c == ' ' && rx->digits > 0) {
				rx->state = RX_CMD;
				rx->digits = 0;
				continue;
			}
			txnr = rx->txnr;
			if (!add_digit(rx, &txnr, c))
				goto bad;
			rx->txnr = (unsigned)txnr;
			continue;
		case RX_CMD:
			if (c == ' ' && rx->cmdlen > 0) {
				rx->state = RX_DATALEN;
				continue;
			}
			if (!is_alpha(c) || rx->cmdlen == 32)
				goto bad;
			rx->cmd[rx->cmdlen++] = c;
			continue;
		case RX_DATALEN:
			if (rx->digits > 0 && (c == ' ' || c == '\n')) {
				/* "DATALEN SP DATA" when DATALEN > 0, else
				 * the trailer follows at once */
				if ((c == ' ') != (rx->datalen > 0))
					goto bad;
				if (rx->datalen > RELP_RX_DATA_MAX)
					goto bad;
				if (c == '\n')
					goto frame;
				rx->state = RX_DATA;
				continue;
			}
			if (!add_digit(rx, &rx->datalen, c))
				goto bad;
			continue;
		case RX_DATA:
			take = rx->datalen - rx->got;
			if (take > n - i)
				take = n - i;
			memcpy(rx->data + rx->got, bytes + i, take);
			rx->got += take;
			i += take - 1;
			if (rx->got == rx->datalen)
				rx->state = RX_TRAILER;
			continue;
		case RX_TRAILER:
			if (c != '\n')
				goto bad;
			goto frame;
		default:
			goto bad;
		}
	}
	*used = n;
	return RELP_RX_MORE;
frame:
	rx->data[rx->got] = '\0';
	rx->state = RX_DONE;
	*used = i + 1;
	return RELP_RX_FRAME;
bad:
	*used = i;
	return RELP_RX_BAD;
}

int
relp_rsp_status(const char *data, size_t len)
{
	if (len < 3 || !is_digit(data[0]) || !is_digit(data[1]) ||
	    !is_digit(data[2]) || data[0] == '0')
		return -1;
	if (len > 3 && data[3] != ' ' && data[3] != '\n')
		return -1;
	return (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
}

bool
relp_offer_has(const char *data, size_t len, const char *name,
    const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	const char *end = data + len, *line, *eol, *v, *comma;

	/* the first line is the status; offers follow, one per line */
	for (line = memchr(data, '\n', len); line != NULL && line < end;
	    line = eol) {
		line++;
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - line) <= nlen || memcmp(line, name, nlen) ||
		    line[nlen] != '=')
			continue;
		for (v = line + nlen + 1; v <= eol; v = comma + 1) {
			comma = memchr(v, ',', (size_t)(eol - v));
			if (comma == NULL)
				comma = eol;
			if ((size_t)(comma - v) == vlen && !memcmp(v, value, vlen))
				return true;
			if (comma == eol)
				break;
		}
	}
	return false;
}
