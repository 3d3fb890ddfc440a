/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-summary.c */
#include "config.h"

#include "amq-account-summary.h"

#include <glib/gi18n.h>
#include <string.h>

#define SECONDS_PER_DAY (24 * 3600)

/* 12.5, 50, 0.21: as many decimals as it has, up to two */
static char *
format_amount (gdouble amount)
{
  g_autofree char *text = g_strdup_printf ("%.2f", amount);
  char *end = text + strlen (text) - 1;

  while (*end == '0')
    *end-- = '\0';
  if (!g_ascii_isdigit (*end))
    *end = '\0';
  return g_steal_pointer (&text);
}

static char *
format_day (gint64 unix_seconds)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (unix_seconds);

  /* TRANSLATORS: a day, in g_date_time_format's notation: when credits reset or a rest ends */
  g_autofree char *day = g_date_time_format (when, _("%b %-d"));
  g_auto(GStrv) words = g_strsplit (day, " ", -1);

  /* one word to a wrapping label: "Jan 1" never ends a line at "Jan" */
  return g_strjoinv ("\u00a0", words);
}

/* A time within a day as "14:05", a later one as its day. */
static char *
format_when (gint64 unix_seconds)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (unix_seconds);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (unix_seconds - now < SECONDS_PER_DAY)
    return g_date_time_format (when, "%H:%M");
  return format_day (unix_seconds);
}

char *
amq_account_summary_status (AmqAccountHealth *health)
{
  g_autofree char *until = NULL;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (health), NULL);

  switch (amq_account_health_get_status (health))
    {
    case AMQ_ACCOUNT_READY:
      return g_strdup (_("Ready"));
    case AMQ_ACCOUNT_COOLING:
      until = format_when (amq_account_health_get_available_at (health));
      /* TRANSLATORS: throttled or out of capacity; %s is a time or a day */
      return g_strdup_printf (_("Cooling down until %s"), until);
    case AMQ_ACCOUNT_EXHAUSTED:
      until = format_when (amq_account_health_get_available_at (health));
      /* TRANSLATORS: %s is a time or a day */
      return g_strdup_printf (_("Used up until %s"), until);
    case AMQ_ACCOUNT_SUSPENDED:
      return g_strdup (_("Suspended by Amazon Q"));
    case AMQ_ACCOUNT_SIGNIN_NEEDED:
      return g_strdup (_("Sign-in needed"));
    case AMQ_ACCOUNT_DISABLED:
    default:
      return g_strdup (_("Switched off"));
    }
}

char *
amq_account_summary_credits (const AmqCredits *credits)
{
  g_autofree char *used = NULL;
  g_autofree char *limit = NULL;
  g_autofree char *reset = NULL;
  g_autofree char *amount = NULL;

  if (credits == NULL)
    return NULL;
  used = format_amount (credits->used);
  limit = format_amount (credits->limit);
  /* TRANSLATORS: credits used, and the limit of the period */
  amount = credits->limit > 0 ? g_strdup_printf (_("%s of %s credits used"), used, limit)
                              : g_strdup_printf (_("%s credits used"), used);
  if (credits->resets_at <= 0)
    return g_steal_pointer (&amount);
  reset = format_day (credits->resets_at);
  /* TRANSLATORS: the credits used, and the day they reset */
  return g_strdup_printf (_("%s · resets %s"), amount, reset);
}

char *
amq_account_summary_plan_credits (const AmqCredits *credits)
{
  g_autofree char *amount = amq_account_summary_credits (credits);

  if (amount == NULL || credits->plan == NULL)
    return g_steal_pointer (&amount);
  return g_strdup_printf ("%s · %s", credits->plan, amount);
}

gdouble
amq_account_summary_used_fraction (const AmqCredits *credits)
{
  if (credits == NULL || credits->limit <= 0)
    return -1;
  return CLAMP (credits->used / credits->limit, 0, 1);
}

guint
amq_account_summary_wake_after (gint64 back, GSourceFunc callback, gpointer user_data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (callback != NULL, 0);

  if (back <= 0)
    return 0;
  return g_timeout_add_seconds ((guint) CLAMP (back - now + 1, 1, G_MAXUINT), callback, user_data);
}

char *
amq_account_summary_ready (AmqAccountPool *pool)
{
  guint all;
  guint ready;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (pool), NULL);

  all = g_list_model_get_n_items (G_LIST_MODEL (pool));
  ready = amq_account_pool_count_ready (pool);
  /* TRANSLATORS: accounts that take requests now, of all accounts */
  return g_strdup_printf (ngettext ("%u of %u account ready", "%u of %u accounts ready", all), ready, all);
}

gint64
amq_account_summary_rest_end (AmqAccountHealth *health)
{
  AmqAccountStatus status;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (health), 0);

  status = amq_account_health_get_status (health);
  return status == AMQ_ACCOUNT_COOLING || status == AMQ_ACCOUNT_EXHAUSTED ? amq_account_health_get_available_at (health)
                                                                          : 0;
}

gint64
amq_account_summary_next_return (AmqAccountPool *pool)
{
  GListModel *accounts;
  gint64 first = 0;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (pool), 0);

  accounts = G_LIST_MODEL (pool);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(AmqAccount) account = g_list_model_get_item (accounts, i);
      gint64 back = amq_account_summary_rest_end (amq_account_get_health (account));

      if (back > 0 && (first == 0 || back < first))
        first = back;
    }
  return first;
}

AmqAccount *
amq_account_summary_fewest_left (AmqAccountPool *pool)
{
  GListModel *accounts;
  AmqAccount *fewest = NULL;
  gdouble fewest_left = G_MAXDOUBLE;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (pool), NULL);

  accounts = G_LIST_MODEL (pool);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(AmqAccount) account = g_list_model_get_item (accounts, i);
      AmqAccountHealth *health = amq_account_get_health (account);
      const AmqCredits *credits = amq_account_health_get_credits (health);

      if (credits == NULL || !amq_account_health_get_enabled (health))
        continue;
      /* without a limit nothing is known to run out */
      if (fewest == NULL || (credits->limit > 0 && credits->limit - credits->used < fewest_left))
        {
          fewest = account;
          fewest_left = credits->limit > 0 ? credits->limit - credits->used : G_MAXDOUBLE;
        }
    }
  return fewest;
}

char *
amq_account_summary_lowest_credits (AmqAccountPool *pool)
{
  AmqAccount *fewest;
  g_autofree char *text = NULL;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (pool), NULL);

  fewest = amq_account_summary_fewest_left (pool);
  if (fewest == NULL)
    return g_strdup (_("Credits not known yet"));
  text = amq_account_summary_plan_credits (amq_account_health_get_credits (amq_account_get_health (fewest)));
  if (g_list_model_get_n_items (G_LIST_MODEL (pool)) < 2)
    return g_steal_pointer (&text);
  /* TRANSLATORS: an account's name, then its plan and credits */
  return g_strdup_printf (_("%s: %s"), amq_account_get_label (fewest), text);
}
