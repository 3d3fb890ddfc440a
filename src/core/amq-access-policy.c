/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-access-policy.c
 *
 * Any web page the user opens can send requests to 127.0.0.1. Three checks stop it from
 * spending the user's quota: Host must name this server (a DNS-rebound page sends its own
 * name), a request carrying Origin must come from an origin the user listed (browsers always
 * send it cross-site), and a POST may not carry one of the three content types a page can
 * send without asking first (form, multipart, text). */
#include "config.h"

#include "amq-access-policy.h"

#include <string.h>

#include "amq-error.h"

/* what an error message repeats of a value the client chose */
#define SHOWN_CHARS 100

typedef struct {
  char *name;  /* lower case, an IPv6 literal in brackets */
  gint  port;  /* -1: any (an allowed name) or none (a Host header) */
} Authority;

struct _AmqAccessPolicy
{
  GObject    parent_instance;
  GArray    *allowed_hosts;    /* Authority */
  GPtrArray *allowed_origins;  /* normalized "scheme://host[:port]" */
  char      *listening_name;   /* the bound address as Host names it */
  guint      port;
};

G_DEFINE_FINAL_TYPE (AmqAccessPolicy, amq_access_policy, G_TYPE_OBJECT)

static const char * const loopback_names[] = { "127.0.0.1", "localhost", "[::1]" };
static const char * const form_types[] = {
  "application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
};

static void
authority_clear (gpointer data)
{
  g_free (((Authority *) data)->name);
}

/* Printable ASCII, at most SHOWN_CHARS: a client's value is safe to log and answer with. */
static char *
shown (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p != '\0' && out->len < SHOWN_CHARS; p++)
    g_string_append_c (out, g_ascii_isprint (*p) ? *p : '?');
  if (strlen (value) > SHOWN_CHARS)
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

static gboolean
parse_port (const char *text, gint *port)
{
  gsize digits = strspn (text, "0123456789");
  guint64 value;

  if (digits == 0 || digits > 5 || text[digits] != '\0')
    return FALSE;
  value = g_ascii_strtoull (text, NULL, 10);
  *port = (gint) value;
  return value <= 65535;
}

/* A name, an IPv4 literal or a bracketed IPv6 literal; nothing else may reach a comparison. */
static gboolean
valid_name (const char *name, gsize length)
{
  const char *allowed = name[0] == '[' ? "0123456789abcdefABCDEF:." : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
  gsize inner_start = name[0] == '[' ? 1 : 0;
  gsize inner_end = name[0] == '[' ? length - 1 : length;

  if (inner_end <= inner_start)
    return FALSE;
  for (gsize i = inner_start; i < inner_end; i++)
    if (strchr (allowed, name[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* "name", "name:port", "[v6]" or "[v6]:port". */
static gboolean
parse_authority (const char *text, Authority *authority)
{
  const char *end_of_name;

  if (text[0] == '[')
    {
      end_of_name = strchr (text, ']');
      if (end_of_name == NULL)
        return FALSE;
      end_of_name++;
    }
  else
    end_of_name = text + strcspn (text, ":");
  if (!valid_name (text, end_of_name - text))
    return FALSE;
  authority->port = -1;
  if (*end_of_name != '\0' && (*end_of_name != ':' || !parse_port (end_of_name + 1, &authority->port)))
    return FALSE;
  authority->name = g_ascii_strdown (text, end_of_name - text);
  return TRUE;
}

static gboolean
is_own_name (AmqAccessPolicy *self, const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (loopback_names); i++)
    if (g_str_equal (name, loopback_names[i]))
      return TRUE;
  return self->listening_name != NULL && g_str_equal (name, self->listening_name);
}

/* @port: the Host header's, -1 when it names none; @any_port: the port is not in question (a
 * target's host) */
static gboolean
authority_allowed (AmqAccessPolicy *self, const char *name, gint port, gboolean any_port)
{
  if (is_own_name (self, name) && (any_port || port == -1 || port == (gint) self->port))
    return TRUE;
  for (guint i = 0; i < self->allowed_hosts->len; i++)
    {
      Authority *allowed = &g_array_index (self->allowed_hosts, Authority, i);

      if (g_str_equal (name, allowed->name) && (any_port || allowed->port == -1 || port == allowed->port))
        return TRUE;
    }
  return FALSE;
}

static gboolean
host_header_allowed (AmqAccessPolicy *self, const char *host)
{
  Authority authority = { 0 };
  gboolean allowed;

  if (!parse_authority (host, &authority))
    return FALSE;
  allowed = authority_allowed (self, authority.name, authority.port, FALSE);
  authority_clear (&authority);
  return allowed;
}

/* An absolute-form target ("GET http://name/...") names the host in place of Host. */
static char *
target_host (GUri *uri)
{
  const char *host = g_uri_get_host (uri);

  if (host == NULL)
    return NULL;
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]", host);
  return g_ascii_strdown (host, -1);
}

static gboolean
refuse_host (const char *host, GError **error)
{
  Authority authority = { 0 };
  g_autofree char *seen = shown (host);

  if (!parse_authority (host, &authority))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_PERMISSION, "Host '%s' is not a host name", seen);
      return FALSE;
    }
  g_set_error (error, AMQ_ERROR, AMQ_ERROR_PERMISSION,
               "Host '%s' is not allowed: amq2api answers only for 127.0.0.1, localhost, [::1] and the "
               "address it listens on, so that no web page can reach it through a name of its own. "
               "To use this name (a reverse proxy, another machine), allow it with --allow-host=%s "
               "or AMQ2API_ALLOWED_HOSTS", seen, authority.name);
  authority_clear (&authority);
  return FALSE;
}

static gboolean
origin_allowed (AmqAccessPolicy *self, const char *origin)
{
  for (guint i = 0; i < self->allowed_origins->len; i++)
    if (g_ascii_strcasecmp (origin, g_ptr_array_index (self->allowed_origins, i)) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_form_type (const char *content_type)
{
  g_autofree char *media_type = NULL;

  if (content_type == NULL)
    return FALSE;
  media_type = g_ascii_strdown (content_type, strcspn (content_type, ";"));
  g_strstrip (media_type);
  return g_strv_contains (form_types, media_type);
}

gboolean
amq_access_policy_check (AmqAccessPolicy *self, const char *method, GUri *uri, SoupMessageHeaders *headers,
                         GError **error)
{
  /* the list form: two Host or Origin headers join into one value that matches nothing */
  const char *host = soup_message_headers_get_list (headers, "Host");
  const char *origin = soup_message_headers_get_list (headers, "Origin");
  g_autofree char *target = NULL;

  g_return_val_if_fail (AMQ_IS_ACCESS_POLICY (self), FALSE);
  g_return_val_if_fail (uri != NULL && headers != NULL, FALSE);

  if (host != NULL && !host_header_allowed (self, host))
    return refuse_host (host, error);
  target = target_host (uri);
  if (target == NULL || !authority_allowed (self, target, -1, TRUE))
    return refuse_host (target ? target : "", error);
  if (origin != NULL && !origin_allowed (self, origin))
    {
      g_autofree char *seen = shown (origin);

      g_set_error (error, AMQ_ERROR, AMQ_ERROR_PERMISSION,
                   "Origin '%s' is not allowed: web pages may not call amq2api unless their origin is "
                   "listed, with --allow-origin=%s or AMQ2API_ALLOWED_ORIGINS", seen, seen);
      return FALSE;
    }
  if (g_strcmp0 (method, SOUP_METHOD_POST) == 0 &&
      is_form_type (soup_message_headers_get_one (headers, "Content-Type")))
    {
      g_set_error_literal (error, AMQ_ERROR, AMQ_ERROR_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
      return FALSE;
    }
  return TRUE;
}

void
amq_access_policy_set_listening (AmqAccessPolicy *self, const char *address, guint port)
{
  g_autoptr(GInetAddress) inet = NULL;

  g_return_if_fail (AMQ_IS_ACCESS_POLICY (self));
  g_return_if_fail (address != NULL);

  inet = g_inet_address_new_from_string (address);
  g_return_if_fail (inet != NULL);
  g_free (self->listening_name);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    {
      g_autofree char *literal = g_inet_address_to_string (inet);

      self->listening_name = g_strdup_printf ("[%s]", literal);
    }
  else
    self->listening_name = g_inet_address_to_string (inet);
  self->port = port;
}

gboolean
amq_access_policy_set_allowed_hosts (AmqAccessPolicy *self, const char * const *hosts, GError **error)
{
  g_autoptr(GArray) parsed = g_array_new (FALSE, TRUE, sizeof (Authority));

  g_return_val_if_fail (AMQ_IS_ACCESS_POLICY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_array_set_clear_func (parsed, authority_clear);
  for (guint i = 0; hosts != NULL && hosts[i] != NULL; i++)
    {
      Authority authority = { 0 };

      if (!parse_authority (hosts[i], &authority))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "'%s' is not a host: give a name or an address, optionally with :port "
                       "(proxy.example, 192.168.1.5:8080, [fd00::5])", hosts[i]);
          return FALSE;
        }
      g_array_append_val (parsed, authority);
    }
  g_array_unref (self->allowed_hosts);
  self->allowed_hosts = g_steal_pointer (&parsed);
  return TRUE;
}

/* "HTTPS://App.Example:443/" -> "https://app.example": as a browser writes Origin. */
static char *
normalize_origin (const char *text, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  g_autofree char *scheme = uri ? g_ascii_strdown (g_uri_get_scheme (uri), -1) : NULL;
  g_autofree char *host = NULL;
  gint port;

  /* other schemes too: an extension or a desktop app's pages (chrome-extension://id) */
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL ||
      (*g_uri_get_path (uri) != '\0' && !g_str_equal (g_uri_get_path (uri), "/")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not an origin: give each one exactly, as scheme://host[:port] "
                   "(https://app.example, http://localhost:3000)", text);
      return NULL;
    }
  host = target_host (uri);
  port = g_uri_get_port (uri);
  /* a browser leaves the scheme's default port out */
  if (port == -1 || (g_str_equal (scheme, "https") && port == 443) || (g_str_equal (scheme, "http") && port == 80))
    return g_strdup_printf ("%s://%s", scheme, host);
  return g_strdup_printf ("%s://%s:%d", scheme, host, port);
}

gboolean
amq_access_policy_set_allowed_origins (AmqAccessPolicy *self, const char * const *origins, GError **error)
{
  g_autoptr(GPtrArray) normalized = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (AMQ_IS_ACCESS_POLICY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; origins != NULL && origins[i] != NULL; i++)
    {
      char *origin = normalize_origin (origins[i], error);

      if (origin == NULL)
        return FALSE;
      g_ptr_array_add (normalized, origin);
    }
  g_ptr_array_unref (self->allowed_origins);
  self->allowed_origins = g_steal_pointer (&normalized);
  return TRUE;
}

char **
amq_access_policy_split_list (const char *comma_separated)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;

  if (comma_separated == NULL)
    return NULL;
  parts = g_strsplit (comma_separated, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*g_strstrip (parts[i]) != '\0')
      g_strv_builder_add (kept, parts[i]);
  list = g_strv_builder_end (kept);
  return list[0] != NULL ? g_steal_pointer (&list) : NULL;
}

static void
amq_access_policy_finalize (GObject *object)
{
  AmqAccessPolicy *self = AMQ_ACCESS_POLICY (object);

  g_array_unref (self->allowed_hosts);
  g_ptr_array_unref (self->allowed_origins);
  g_free (self->listening_name);
  G_OBJECT_CLASS (amq_access_policy_parent_class)->finalize (object);
}

static void
amq_access_policy_class_init (AmqAccessPolicyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_access_policy_finalize;
}

static void
amq_access_policy_init (AmqAccessPolicy *self)
{
  self->allowed_hosts = g_array_new (FALSE, TRUE, sizeof (Authority));
  g_array_set_clear_func (self->allowed_hosts, authority_clear);
  self->allowed_origins = g_ptr_array_new_with_free_func (g_free);
}

AmqAccessPolicy *
amq_access_policy_new (void)
{
  return g_object_new (AMQ_TYPE_ACCESS_POLICY, NULL);
}
