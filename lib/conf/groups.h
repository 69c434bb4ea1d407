/*
 * groups.h: configuration groups and the expanded configuration.
 *
 * The expanded configuration is what mgd validates strictly, delivers to
 * the daemons, and shows with "| display inheritance": the groups named by
 * the top-level apply-groups merged in (in order: an earlier group wins
 * over a later one, the configuration's own statements win over every
 * group), wildcard names (<ge-*>, <*>) applied to the matching statements
 * the configuration already has, then the groups and apply-groups
 * statements removed, and inactive statements removed.
 */
#ifndef OPENSG_CONF_GROUPS_H
#define OPENSG_CONF_GROUPS_H

#include "tree.h"

#define EXPAND_KEEP_INACTIVE 0x1 /* keep inactive statements */
#define EXPAND_MARK 0x2          /* set cnode->group on inherited statements */

struct conf *conf_expand(const struct conf *c, unsigned flags);
/* 1 if expanding c changes nothing (no groups applied, nothing inactive):
 * callers may then use c itself. */
int conf_expands_to_itself(const struct conf *c);
/* Remove inactive statements (and their subtrees) below n. */
void conf_drop_inactive(struct cnode *n);
/* 1 if the wildcard name pat ("<ge-*>") matches name. */
int wildcard_match(const char *pat, const char *name);

#endif
