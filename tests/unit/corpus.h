/*
 * corpus.h: load the audit events of tests/corpus/k8s-audit for unit tests.
 *
 * A `.json` file holds one document (an Event or an EventList), a `.jsonl`
 * file one Event per line; a UTF-8 BOM is skipped.  Documents that are not
 * audit Events (falco-fal_01_003.json is `{"kind": 0}`) are left out, as the
 * plugin core rejects them before shaping.
 */
#ifndef CORPUS_H
#define CORPUS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* The corpus directory: $CORPUS, else the source tree's copy. */
__attribute__((unused)) static const char *corpus_dir(void)
{
	const char *d = getenv("CORPUS");

	return d && *d ? d : "tests/corpus/k8s-audit";
}

__attribute__((unused)) static char *corpus_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

__attribute__((unused)) static int corpus_add(json_t *events, json_t *doc)
{
	size_t i;
	json_t *item;

	if (doc == NULL)
		return -1;
	if (json_is_object(doc) && json_is_array(json_object_get(doc, "items")) &&
	    json_is_string(json_object_get(doc, "kind")) &&
	    strcmp(json_string_value(json_object_get(doc, "kind")), "EventList") == 0) {
		json_array_foreach(json_object_get(doc, "items"), i, item)
			json_array_append(events, item);
	} else if (json_is_object(doc) && json_is_string(json_object_get(doc, "auditID"))) {
		json_array_append(events, doc);
	}
	json_decref(doc);
	return 0;
}

/* The events of one corpus file (new array), or NULL. */
__attribute__((unused)) static json_t *corpus_file_events(const char *name)
{
	char path[4096];
	json_t *events = json_array();
	size_t len = 0;
	char *buf, *text, *line;

	snprintf(path, sizeof path, "%s/%s", corpus_dir(), name);
	buf = corpus_read(path, &len);
	if (buf == NULL || events == NULL) {
		free(buf);
		json_decref(events);
		return NULL;
	}
	text = buf;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;
	if (strstr(name, ".jsonl") != NULL) {
		for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
			if (line[strspn(line, " \t\r")] != '\0')
				corpus_add(events, json_loads(line, 0, NULL));
	} else {
		corpus_add(events, json_loads(text, 0, NULL));
	}
	free(buf);
	return events;
}

__attribute__((unused)) static int corpus_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Sorted names of the .json (and, with `jsonl`, .jsonl) files in `dir`,
 * NULL-terminated; with `paths`, each prefixed with "dir/".
 */
__attribute__((unused)) static char **corpus_list(const char *dir, bool jsonl,
    bool paths, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t count = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char **more, *name;

		if (!(l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) &&
		    !(jsonl && l > 6 && strcmp(de->d_name + l - 6, ".jsonl") == 0))
			continue;
		more = realloc(names, (count + 2) * sizeof *names);
		if (more == NULL)
			break;
		names = more;
		if (!paths)
			name = strdup(de->d_name);
		else if (asprintf(&name, "%s/%s", dir, de->d_name) < 0)
			name = NULL;
		if (name == NULL)
			break;
		names[count++] = name;
		names[count] = NULL;
	}
	closedir(d);
	if (names != NULL)
		qsort(names, count, sizeof *names, corpus_cmp);
	*n = count;
	return names;
}

/* Sorted names of the corpus's .json/.jsonl files (NULL-terminated). */
__attribute__((unused)) static char **corpus_files(size_t *n)
{
	return corpus_list(corpus_dir(), true, false, n);
}

/*
 * Sorted paths of the rule tests' events (tests/rules/events/ *.json, in
 * $TOP_SRCDIR, else beside the corpus), NULL-terminated.
 */
__attribute__((unused)) static char **corpus_rule_files(size_t *n)
{
	const char *top = getenv("TOP_SRCDIR");
	char dir[4096];

	if (top != NULL && *top != '\0')
		snprintf(dir, sizeof dir, "%s/tests/rules/events", top);
	else
		snprintf(dir, sizeof dir, "%s/../../rules/events", corpus_dir());
	return corpus_list(dir, false, true, n);
}

__attribute__((unused)) static void corpus_files_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

/* Every audit event of every corpus file, in file order (caller frees). */
__attribute__((unused)) static json_t *corpus_all_events(void)
{
	json_t *events = json_array(), *evs;
	char **names;
	size_t n, i;

	names = corpus_files(&n);
	for (i = 0; names != NULL && i < n; i++) {
		if ((evs = corpus_file_events(names[i])) != NULL) {
			json_array_extend(events, evs);
			json_decref(evs);
		}
	}
	corpus_files_free(names);
	return events;
}

#endif /* !CORPUS_H */
