/* Linked into the static build only (scripts/build-static). Debian's libpq.a refers to GSSAPI and
 * LDAP, for which Debian ships no static libraries. These stand-ins make both features fail
 * cleanly instead, so the static binary gives up exactly:
 *   - Kerberos/GSSAPI authentication and GSSAPI encryption (gssencmode): every call reports
 *     failure, and libpq falls back or reports the error;
 *   - LDAP lookup of connection parameters in pg_service.conf: ldap_init returns NULL, which libpq
 *     reports as "could not create LDAP structure".
 * Password (SCRAM, md5), certificate and TLS connections are unaffected. */
#include <stddef.h>

typedef unsigned int OM_uint32;
#define GSS_S_FAILURE (13u << 16)

void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

static OM_uint32 gss_unavailable(OM_uint32 *minor_status) {
  if (minor_status) *minor_status = 0;
  return GSS_S_FAILURE;
}

OM_uint32 gss_acquire_cred(OM_uint32 *m, void *a, OM_uint32 b, void *c, int d, void *e, void *f, void *g) {
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g;
  return gss_unavailable(m);
}
OM_uint32 gss_delete_sec_context(OM_uint32 *m, void *a, void *b) {
  (void)a, (void)b;
  return gss_unavailable(m);
}
OM_uint32 gss_display_status(OM_uint32 *m, OM_uint32 a, int b, void *c, OM_uint32 *d, void *e) {
  (void)a, (void)b, (void)c, (void)d, (void)e;
  return gss_unavailable(m);
}
OM_uint32 gss_import_name(OM_uint32 *m, void *a, void *b, void *c) {
  (void)a, (void)b, (void)c;
  return gss_unavailable(m);
}
OM_uint32 gss_init_sec_context(OM_uint32 *m, void *a, void *b, void *c, void *d, OM_uint32 e, OM_uint32 f,
                               void *g, void *h, void *i, void *j, OM_uint32 *k, OM_uint32 *l) {
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g, (void)h, (void)i, (void)j, (void)k, (void)l;
  return gss_unavailable(m);
}
OM_uint32 gss_release_buffer(OM_uint32 *m, void *a) {
  (void)a;
  return gss_unavailable(m);
}
OM_uint32 gss_release_cred(OM_uint32 *m, void *a) {
  (void)a;
  return gss_unavailable(m);
}
OM_uint32 gss_release_name(OM_uint32 *m, void *a) {
  (void)a;
  return gss_unavailable(m);
}
OM_uint32 gss_unwrap(OM_uint32 *m, void *a, void *b, void *c, int *d, void *e) {
  (void)a, (void)b, (void)c, (void)d, (void)e;
  return gss_unavailable(m);
}
OM_uint32 gss_wrap(OM_uint32 *m, void *a, int b, OM_uint32 c, void *d, int *e, void *f) {
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f;
  return gss_unavailable(m);
}
OM_uint32 gss_wrap_size_limit(OM_uint32 *m, void *a, int b, OM_uint32 c, OM_uint32 d, OM_uint32 *e) {
  (void)a, (void)b, (void)c, (void)d, (void)e;
  return gss_unavailable(m);
}

#define LDAP_UNAVAILABLE 0x34 /* LDAP_UNAVAILABLE: "server is unavailable" */

void *ldap_init(const char *host, int port) {
  (void)host, (void)port;
  return NULL;
}
int ldap_set_option(void *ld, int option, const void *value) {
  (void)ld, (void)option, (void)value;
  return -1;
}
int ldap_simple_bind(void *ld, const char *who, const char *passwd) {
  (void)ld, (void)who, (void)passwd;
  return -1;
}
int ldap_search_st(void *ld, const char *base, int scope, const char *filter, char **attrs, int attrsonly,
                   void *timeout, void **res) {
  (void)ld, (void)base, (void)scope, (void)filter, (void)attrs, (void)attrsonly, (void)timeout;
  if (res) *res = NULL;
  return LDAP_UNAVAILABLE;
}
int ldap_result(void *ld, int msgid, int all, void *timeout, void **res) {
  (void)ld, (void)msgid, (void)all, (void)timeout;
  if (res) *res = NULL;
  return -1;
}
int ldap_count_entries(void *ld, void *chain) {
  (void)ld, (void)chain;
  return 0;
}
void *ldap_first_entry(void *ld, void *chain) {
  (void)ld, (void)chain;
  return NULL;
}
void **ldap_get_values_len(void *ld, void *entry, const char *attr) {
  (void)ld, (void)entry, (void)attr;
  return NULL;
}
void ldap_value_free_len(void **vals) { (void)vals; }
int ldap_msgfree(void *msg) {
  (void)msg;
  return 0;
}
int ldap_unbind(void *ld) {
  (void)ld;
  return 0;
}
char *ldap_err2string(int err) {
  (void)err;
  return (char *)"LDAP is not available in the static schemagate build";
}
