/*
 * reconf.c: configuration changes, lib/daemon's two phases.  prepare
 * builds a new kmd_config aside (kmd/config.c) and refuses only when that
 * fails; apply swaps it in (cannot fail), then reconciles: every tunnel
 * whose service set, access profile, pool or pool unit is gone, or whose
 * service set's local-gateway changed (its SAs are bound to the old
 * address: Junos clears them too), is torn down (DELETE to the peer, fwdd
 * state released), then every IKE SA
 * whose service set is gone or no longer owns its local-gateway; the
 * others are re-pointed at the new model.  Keys, policies and proxy
 * pairs of running tunnels are not re-checked: like Junos, a change of
 * them applies to the next negotiation.  Called by main.c and the tests.
 */
#include "ike.h"
#include "log.h"

#include <string.h>
#include <sys/socket.h>

int kmd_prepare(struct kmd *k, const struct cnode *root, char *err, size_t errlen)
{
    kmd_config_free(k->pending);
    k->pending = kmd_config_build(root, err, errlen);
    return k->pending ? 0 : -1;
}

void kmd_abort(struct kmd *k)
{
    kmd_config_free(k->pending);
    k->pending = NULL;
}

void kmd_apply(struct kmd *k)
{
    struct kmd_config *old = k->cfg;

    if (k->pending == NULL)
        return;
    k->cfg = k->pending;
    k->pending = NULL;
    reconf_reconcile(k);
    kmd_config_free(old);
}

void kmd_set_config(struct kmd *k, struct kmd_config *c)
{
    kmd_config_free(k->pending);
    k->pending = c;
    kmd_apply(k);
}

const struct kmd_config *kmd_get_config(const struct kmd *k)
{
    return k->cfg;
}

static bool unit_in_pool(const struct kmd_service_set *ss, const char *unit)
{
    if (ss->npool == 0)
        return strcmp(ss->inside_unit, unit) == 0;
    for (size_t i = 0; i < ss->npool; i++)
        if (strcmp(ss->pool[i].unit, unit) == 0)
            return true;
    return false;
}

/* The service set's local-gateway is no longer the local end of path. */
static bool gateway_changed(const struct kmd_service_set *ss, const struct kmd_path *path)
{
    return ss->local_gateway.af != path->dst.af ||
           memcmp(ss->local_gateway.addr, path->dst.a, ss->local_gateway.af == AF_INET6 ? 16 : 4) !=
               0 ||
           !inst_eq(ss->gateway_instance, path->instance);
}

/* Why tunnel t cannot stay, or NULL. */
static const char *tunnel_orphan(const struct kmd_config *c, const struct tunnel *t)
{
    const struct kmd_service_set *ss = kmd_config_service_set(c, t->ss_name);

    if (ss == NULL)
        return "its service set was removed from the configuration";
    if (gateway_changed(ss, &t->path)) /* its SAs are bound to the old address */
        return "its service set's local-gateway changed";
    if (t->static_peer) {
        const struct kmd_static_peer *sp = ss_static_peer(ss, &t->path.src);
        if (sp == NULL || strcmp(sp->rule, t->rule) != 0 || strcmp(sp->term, t->term) != 0)
            return "its static rule term was removed from its service set";
        if (strcmp(ss->inside_unit, t->unit) != 0)
            return "its service set's inside interface changed";
        if (!inst_eq(ss->inside_instance, t->instance))
            return "its inside interface moved to another routing instance";
        return NULL;
    }
    if (ss->profile == NULL || strcmp(ss->profile->name, t->profile) != 0)
        return "its service set no longer uses its ike-access-profile";
    if (strcmp(ss->profile->interface_id, t->pool) != 0)
        return "its access profile's interface-id changed";
    if (t->unit[0] && !unit_in_pool(ss, t->unit))
        return "its pool unit was removed from the configuration";
    if (!inst_eq(ss->inside_instance, t->instance))
        return "its inside interface moved to another routing instance";
    return NULL;
}

static const char *ike_orphan(const struct kmd_config *c, const struct ike_sa *sa)
{
    const struct kmd_service_set *ss = kmd_config_service_set(c, sa->ss_name);

    if (ss == NULL)
        return "its service set was removed from the configuration";
    if (sa->static_peer && ss_static_peer(ss, &sa->path.src) == NULL)
        return "its static rule term was removed from its service set";
    if (!sa->static_peer && ss->profile == NULL)
        return "its service set no longer has an ike-access-profile";
    if (gateway_changed(ss, &sa->path))
        return "its service set's local-gateway changed";
    return NULL;
}

void reconf_reconcile(struct kmd *k)
{
    struct tunnel *t, *tn;
    struct ike_sa *sa, *sn;
    const char *why;

    for (t = k->tunnels; t; t = tn) {
        tn = t->next;
        if ((why = tunnel_orphan(k->cfg, t)) != NULL)
            tunnel_teardown(k, t, true, why);
    }
    for (sa = k->sas; sa; sa = sn) {
        sn = sa->next;
        if ((why = ike_orphan(k->cfg, sa)) != NULL) {
            sa->ss = NULL;
            ike_delete(k, sa, true, why);
        } else {
            sa->ss = kmd_config_service_set(k->cfg, sa->ss_name);
        }
    }
}
