/* The interactive loop and the interrupt machinery shared with main.c. */
#ifndef NOISELAB_REPL_H
#define NOISELAB_REPL_H
#include <lua.h>

void nl_repl(lua_State *L);
/* Ctrl-C during a call interrupts the running chunk (as lua.c's laction/lstop). */
void nl_interrupt_arm(void);
void nl_interrupt_disarm(void);
int nl_docall(lua_State *L, int narg, int nres);
int nl_report(lua_State *L, int status);
int nl_msghandler(lua_State *L);
#endif
