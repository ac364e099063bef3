/* SPDX-License-Identifier: MIT */
/*
 * ctl-json.c - a strict JSON checker for the shmheap-ctl tests, so that they
 * need no interpreter: reads one document on stdin, fails (exit 1, with the
 * byte offset) unless it is valid RFC 8259 JSON, and prints the value at each
 * path given as an argument, one per line.
 *
 * A path is dot-separated steps: a member name, an array index, KEY=VALUE
 * (the first array element that is an object whose member KEY is the string
 * VALUE), or '#' (the length of an array or object).  Strings print without
 * quotes or escapes (\uXXXX as UTF-8); other values print as in the input.
 * A path that leads nowhere prints "<none>".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct node {
	enum kind kind;
	char *text; /* J_STR: decoded; J_NUM, J_BOOL: as written */
	char *key;  /* member name when inside an object */
	struct node **kids;
	size_t nkids;
};

static const char *src;
static size_t pos, len;

static _Noreturn void bad(const char *why)
{
	fprintf(stderr, "ctl-json: invalid JSON at byte %zu: %s\n", pos, why);
	exit(1);
}

static void *must(void *p)
{
	if (!p) {
		fprintf(stderr, "ctl-json: out of memory\n");
		exit(1);
	}
	return p;
}

static void skip_ws(void)
{
	while (pos < len && strchr(" \t\r\n", src[pos]) && src[pos])
		pos++;
}

static bool eat(const char *word)
{
	size_t n = strlen(word);
	if (len - pos < n || memcmp(src + pos, word, n))
		return false;
	pos += n;
	return true;
}

static void put_utf8(char *out, size_t *o, unsigned cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | cp >> 6);
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | cp >> 12);
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | cp >> 18);
		out[(*o)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static unsigned hex4(void)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++, pos++) {
		char c = pos < len ? src[pos] : 0;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			bad("bad \\u escape");
	}
	return v;
}

/* Checks that the raw bytes of a string are valid UTF-8, as JSON requires. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = (s[0] & 0xe0) == 0xc0   ? 2
		   : (s[0] & 0xf0) == 0xe0 ? 3
		   : (s[0] & 0xf8) == 0xf0 ? 4
					   : 0;
	if (!n || n > avail || s[0] == 0xc0 || s[0] == 0xc1 || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static char *parse_string(void)
{
	if (!eat("\""))
		bad("string expected");
	char *out = must(malloc(4 * (len - pos) + 1));
	size_t o = 0;
	for (;;) {
		if (pos >= len)
			bad("unterminated string");
		unsigned char c = (unsigned char)src[pos];
		if (c == '"') {
			pos++;
			break;
		}
		if (c < 0x20)
			bad("control character in string");
		if (c == '\\') {
			pos++;
			char e = pos < len ? src[pos++] : 0;
			const char *simple = strchr("\"\\/bfnrt", e);
			if (e && simple) {
				out[o++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
				continue;
			}
			if (e != 'u')
				bad("bad escape");
			unsigned cp = hex4();
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (!eat("\\u"))
					bad("lone surrogate");
				unsigned lo = hex4();
				if (lo < 0xdc00 || lo > 0xdfff)
					bad("bad surrogate pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				bad("lone surrogate");
			}
			put_utf8(out, &o, cp);
			continue;
		}
		size_t n = utf8_seq((const unsigned char *)src + pos, len - pos);
		if (!n)
			bad("invalid UTF-8");
		memcpy(out + o, src + pos, n);
		o += n;
		pos += n;
	}
	out[o] = '\0';
	return out;
}

static void digits(void)
{
	if (pos >= len || src[pos] < '0' || src[pos] > '9')
		bad("digit expected");
	while (pos < len && src[pos] >= '0' && src[pos] <= '9')
		pos++;
}

static char *parse_number(void)
{
	size_t start = pos;
	if (src[pos] == '-')
		pos++;
	if (pos < len && src[pos] == '0')
		pos++;
	else
		digits();
	if (pos < len && src[pos] == '.') {
		pos++;
		digits();
	}
	if (pos < len && (src[pos] == 'e' || src[pos] == 'E')) {
		pos++;
		if (pos < len && (src[pos] == '+' || src[pos] == '-'))
			pos++;
		digits();
	}
	return must(strndup(src + start, pos - start));
}

static struct node *parse_value(int depth);

static void add_kid(struct node *n, struct node *kid)
{
	n->kids = must(realloc(n->kids, (n->nkids + 1) * sizeof(*n->kids)));
	n->kids[n->nkids++] = kid;
}

static void parse_container(struct node *n, int depth)
{
	bool obj = n->kind == J_OBJ;
	pos++;
	skip_ws();
	if (eat(obj ? "}" : "]"))
		return;
	for (;;) {
		skip_ws();
		char *key = NULL;
		if (obj) {
			key = parse_string();
			skip_ws();
			if (!eat(":"))
				bad("':' expected");
		}
		struct node *kid = parse_value(depth + 1);
		kid->key = key;
		add_kid(n, kid);
		skip_ws();
		if (eat(","))
			continue;
		if (eat(obj ? "}" : "]"))
			return;
		bad(obj ? "',' or '}' expected" : "',' or ']' expected");
	}
}

static struct node *parse_value(int depth)
{
	if (depth > 64)
		bad("nested too deeply");
	skip_ws();
	if (pos >= len)
		bad("value expected");
	struct node *n = must(calloc(1, sizeof(*n)));
	char c = src[pos];
	if (c == '{' || c == '[') {
		n->kind = c == '{' ? J_OBJ : J_ARR;
		parse_container(n, depth);
	} else if (c == '"') {
		n->kind = J_STR;
		n->text = parse_string();
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		n->kind = J_NUM;
		n->text = parse_number();
	} else if (eat("true") || eat("false")) {
		n->kind = J_BOOL;
		n->text = must(strdup(
			src[pos - 1] == 'e' && src[pos - 2] == 'u' ? "true" : "false"));
	} else if (eat("null")) {
		n->kind = J_NULL;
	} else {
		bad("value expected");
	}
	return n;
}

static struct node *step(struct node *n, const char *s)
{
	if (!n)
		return NULL;
	const char *eq = strchr(s, '=');
	if (n->kind == J_ARR && eq) {
		size_t klen = (size_t)(eq - s);
		for (size_t i = 0; i < n->nkids; i++) {
			struct node *e = n->kids[i];
			for (size_t k = 0; e->kind == J_OBJ && k < e->nkids; k++)
				if (strlen(e->kids[k]->key) == klen &&
				    !strncmp(e->kids[k]->key, s, klen) &&
				    e->kids[k]->kind == J_STR &&
				    !strcmp(e->kids[k]->text, eq + 1))
					return e;
		}
		return NULL;
	}
	if (n->kind == J_ARR) {
		char *end;
		unsigned long i = strtoul(s, &end, 10);
		return *s && !*end && i < n->nkids ? n->kids[i] : NULL;
	}
	if (n->kind == J_OBJ)
		for (size_t i = 0; i < n->nkids; i++)
			if (!strcmp(n->kids[i]->key, s))
				return n->kids[i];
	return NULL;
}

static void print_path(struct node *root, const char *path)
{
	char *copy = must(strdup(path)), *save = NULL;
	struct node *n = root;
	for (char *s = strtok_r(copy, ".", &save); s; s = strtok_r(NULL, ".", &save)) {
		if (!strcmp(s, "#")) {
			if (n && (n->kind == J_ARR || n->kind == J_OBJ))
				printf("%zu\n", n->nkids);
			else
				printf("<none>\n");
			free(copy);
			return;
		}
		n = step(n, s);
	}
	free(copy);
	if (!n)
		printf("<none>\n");
	else if (n->kind == J_NULL)
		printf("null\n");
	else if (n->kind == J_ARR || n->kind == J_OBJ)
		printf("<%s>\n", n->kind == J_ARR ? "array" : "object");
	else
		printf("%s\n", n->text);
}

static void free_node(struct node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		free_node(n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->text);
	free(n);
}

int main(int argc, char **argv)
{
	size_t cap = 4096;
	char *buf = must(malloc(cap));
	size_t n;
	while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap)
			buf = must(realloc(buf, cap *= 2));
	}
	src = buf;
	struct node *root = parse_value(0);
	skip_ws();
	if (pos != len)
		bad("trailing characters");
	for (int i = 1; i < argc; i++)
		print_path(root, argv[i]);
	free_node(root);
	free(buf);
	return 0;
}
