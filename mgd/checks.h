/*
 * checks.h: the semantic commit checks of the seed (dynamic-endpoint IPsec
 * on next-hop service sets), layer 2 of lib/conf/validate.h.
 *
 * Owns the rules that the XSD cannot say: one wildcard client per IKE
 * access profile, references between access profiles, service sets,
 * policies, proposals, rules, interfaces and routing instances, the
 * next-hop service set units (service-domain, same PIC, one service set
 * per unit), the interface pools and their VRFs (DESIGN.md "Interface
 * pools"), the tunnel-distribution rules, and the warnings about
 * statements that OpenSG accepts but ignores.  Every message is listed in
 * docs/checks.md.
 *
 * Called by mgd's commit pipeline on the expanded configuration (groups
 * applied, inactive statements removed), after validate_schema_rules() and
 * before validate_xsd().  Findings are appended to fs; warnings have
 * warning=1 and do not fail the commit.
 */
#ifndef OPENSG_MGD_CHECKS_H
#define OPENSG_MGD_CHECKS_H

#include "tree.h"
#include "validate.h"

void checks_run(const struct cnode *root, struct findings *fs);
/* 1 when the checks read the top-level statement of schema node top: they
 * read nothing else (the checks reach every statement from the top-level
 * statements of struct ck_sch), so their findings do not change when none
 * of those changed. */
int checks_reads(const struct sch_node *top);

#endif
