/*
 * derive_configmap: credentials kept in ConfigMaps.
 */
#include <string.h>

#include "cred.h"
#include "derive_configmap.h"
#include "pick.h"

bool configmap_text_is_credential(const char *section, const char *key,
    size_t keylen, const char *text, size_t len)
{
	if (cred_name_like(key, keylen))
		return true;
	if (strcmp(section, "data") != 0 || text == NULL)
		return false;
	return cred_text_assigns(text, len);
}

bool configmap_key_is_credential(const char *section, const char *key,
    const json_t *value)
{
	if (!json_is_string(value))
		return cred_name_like(key, strlen(key));
	return configmap_text_is_credential(section, key, strlen(key),
	    json_string_value(value), json_string_length(value));
}

static bool has_data(const json_t *body)
{
	return jobj(body, "data") != NULL || jobj(body, "binaryData") != NULL;
}

static bool is_configmap(const struct head *h, const json_t *event)
{
	if (h->resource != NULL)
		return strcmp(h->resource, "configmaps") == 0;
	return jstreq(jget(event, "requestObject"), "kind", "ConfigMap") ||
	    jstreq(jget(event, "responseObject"), "kind", "ConfigMap");
}

void derive_configmap(struct k8sobj *o, const struct head *h,
    const json_t *event)
{
	static const char *const sections[] = { "data", "binaryData" };
	const json_t *body;
	struct strlist names, texts;

	if (!is_configmap(h, event))
		return;
	body = pick_body(event, has_data);
	strlist_init(&names);
	strlist_init(&texts);
	for (size_t s = 0; s < 2; s++) {
		const char *key;
		json_t *value;

		json_object_foreach(jobj(body, sections[s]), key, value) {
			if (cred_name_like(key, strlen(key)))
				strlist_add_str(&names, key);
			else if (configmap_key_is_credential(sections[s], key, value))
				strlist_add_str(&texts, key);
		}
	}
	k8sobj_list(o, "credential_keys", &names);
	k8sobj_list(o, "credential_value_keys", &texts);
	strlist_free(&names);
	strlist_free(&texts);
}
