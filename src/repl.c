/* The noiselab REPL, after Lua 5.4's lua.c and torch/trepl:
 * - readline editing, persistent size-limited history (~/.noiselab_history);
 * - a line is first tried as `return <line>` (auto-print), else as a statement; an incomplete
 *   chunk (syntax error at <eof>) continues on the next line;
 * - a trailing ';' silences the value; `?name` shows help; commands over 0.1 s are timed;
 * - tab completion through tables, modules and userdata methods (noiselab.repl.complete);
 * - Ctrl-C while a chunk runs interrupts it (a debug hook raises an error at the next
 *   instruction, as lua.c does); at the prompt it clears the line.
 * The printing, completion and help logic is Lua (lua/noiselab/repl.lua). */

#include <lua.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <readline/history.h>
#include <readline/readline.h>
#include "repl.h"

#define HISTORY_MAX 1000
#define PROMPT "> "
#define PROMPT2 ">> "
#define EOFMARK "<eof>"

static lua_State *globalL = NULL;
static volatile sig_atomic_t at_prompt = 0;
static int interactive_tty = 0;

static void lstop(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

static void on_sigint(int sig)
{
    (void)sig;
    if (at_prompt) {
        /* clear the current line and show a fresh prompt */
        rl_replace_line("", 0);
        (void)!write(STDOUT_FILENO, "\n", 1);
        rl_on_new_line();
        rl_redisplay();
        return;
    }
    if (globalL) lua_sethook(globalL, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void nl_interrupt_arm(void)
{
    if (globalL) signal(SIGINT, on_sigint);
}

void nl_interrupt_disarm(void)
{
    if (globalL && !interactive_tty) signal(SIGINT, SIG_DFL);
}

static char history_path[4096];

static void history_init(void)
{
    const char *home = getenv("HOME");
    if (getenv("NOISELAB_HISTORY")) snprintf(history_path, sizeof history_path, "%s", getenv("NOISELAB_HISTORY"));
    else if (home) snprintf(history_path, sizeof history_path, "%s/.noiselab_history", home);
    using_history();
    stifle_history(HISTORY_MAX);
    /* append_history() needs an existing file: create it on first use */
    if (history_path[0] && read_history(history_path) != 0) write_history(history_path);
}

static void history_add(const char *line)
{
    if (!interactive_tty || !line[0]) return;
    add_history(line);
    if (history_path[0]) {
        append_history(1, history_path);
        history_truncate_file(history_path, HISTORY_MAX);
    }
}

/* Read one line; NULL at end of input. */
static char *read_line(const char *prompt)
{
    if (interactive_tty) {
        at_prompt = 1;
        char *l = readline(prompt);
        at_prompt = 0;
        return l;
    }
    size_t cap = 0;
    char *buf = NULL;
    ssize_t n = getline(&buf, &cap, stdin);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = '\0';
    return buf;
}

/* Call noiselab.repl.<fn> with the string on top of the stack; leaves one result. */
static int call_repl_fn(lua_State *L, const char *fn, int nargs)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "noiselab.repl");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) return -1;
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
    lua_insert(L, -(nargs + 1));
    return lua_pcall(L, nargs, 1, 0);
}

static int incomplete(lua_State *L, int status)
{
    if (status == LUA_ERRSYNTAX) {
        size_t lmsg;
        const char *msg = lua_tolstring(L, -1, &lmsg);
        size_t lm = sizeof(EOFMARK) - 1;
        if (lmsg >= lm && strcmp(msg + lmsg - lm, EOFMARK) == 0) {
            lua_pop(L, 1);
            return 1;
        }
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Compile a chunk from the accumulated buffer: first as an expression, then as statements. */
static int compile(lua_State *L, const char *code, int *is_expr)
{
    const char *retline = lua_pushfstring(L, "return %s;", code);
    int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
    lua_remove(L, -2);
    if (status == LUA_OK) {
        *is_expr = 1;
        return status;
    }
    lua_pop(L, 1);
    *is_expr = 0;
    return luaL_loadbuffer(L, code, strlen(code), "=stdin");
}

static void print_results(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    if (n <= 0) return;
    lua_createtable(L, n, 1);
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, base + i);
        lua_rawseti(L, -2, i);
    }
    lua_pushinteger(L, n);
    lua_setfield(L, -2, "n");
    if (call_repl_fn(L, "format_results", 1) == LUA_OK) {
        const char *s = lua_tostring(L, -1);
        if (s) {
            fputs(s, stdout);
            fputc('\n', stdout);
        }
    } else {
        fprintf(stderr, "(cannot print: %s)\n", lua_tostring(L, -1));
    }
    fflush(stdout);
    lua_settop(L, base);
}

/* ---- completion ---- */
static char **matches_from_lua(const char *text)
{
    lua_State *L = globalL;
    int top = lua_gettop(L);
    char **out = NULL;
    lua_pushstring(L, text);
    if (call_repl_fn(L, "complete", 1) == LUA_OK && lua_istable(L, -1)) {
        int n = (int)luaL_len(L, -1);
        if (n > 0) {
            out = calloc((size_t)n + 2, sizeof(char *));
            /* readline's convention: [0] is the common prefix it substitutes */
            for (int i = 1; i <= n; i++) {
                lua_rawgeti(L, -1, i);
                out[i] = strdup(lua_tostring(L, -1));
                lua_pop(L, 1);
            }
            size_t common = strlen(out[1]);
            for (int i = 2; i <= n; i++) {
                size_t k = 0;
                while (k < common && out[i][k] == out[1][k]) k++;
                common = k;
            }
            out[0] = strndup(out[1], common);
            if (n == 1) {
                free(out[1]);
                out[1] = NULL;
            }
        }
    }
    lua_settop(L, top);
    return out;
}

static char **completion(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;
    rl_completion_append_character = '\0';
    return matches_from_lua(text);
}

static void set_globals(lua_State *L)
{
    if (call_repl_fn(L, "setup_globals", 0) != LUA_OK)
        fprintf(stderr, "noiselab: could not set up the REPL globals: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
}

void nl_repl(lua_State *L)
{
    globalL = L;
    interactive_tty = isatty(STDIN_FILENO);
    if (interactive_tty) {
        rl_readline_name = "noiselab";
        rl_basic_word_break_characters = " \t\n\"\\'><=;+-*/%^~#{}()[],&|";
        rl_attempted_completion_function = completion;
        rl_catch_signals = 0;
        history_init();
        signal(SIGINT, on_sigint);
    }
    set_globals(L);
    for (;;) {
        char *line = read_line(PROMPT);
        if (!line) break;
        /* accumulate an incomplete chunk */
        lua_settop(L, 0);
        lua_pushstring(L, line);
        free(line);
        int status, is_expr = 0;
        const char *code = lua_tostring(L, 1);
        /* ?name -> help(name) */
        if (code[0] == '?') {
            lua_pushfstring(L, "help(%s)", code + 1);
            lua_replace(L, 1);
            code = lua_tostring(L, 1);
        }
        for (;;) {
            size_t len;
            code = lua_tolstring(L, 1, &len);
            status = compile(L, code, &is_expr);
            if (!incomplete(L, status)) break;
            char *more = read_line(PROMPT2);
            if (!more) break;
            lua_pushfstring(L, "%s\n%s", code, more);
            free(more);
            lua_replace(L, 1);
        }
        code = lua_tostring(L, 1);
        history_add(code);
        /* trailing ';' silences the value */
        size_t cl = strlen(code);
        while (cl > 0 && (code[cl - 1] == ' ' || code[cl - 1] == '\t')) cl--;
        int silent = cl > 0 && code[cl - 1] == ';';
        if (status == LUA_OK) {
            int base = 1;
            double t0 = now();
            status = nl_docall(L, 0, LUA_MULTRET);
            double dt = now() - t0;
            if (status == LUA_OK && is_expr && !silent) print_results(L, base);
            if (dt > 0.1) fprintf(stdout, "(%.2f s)\n", dt);
        }
        nl_report(L, status);
        lua_settop(L, 0);
        fflush(stdout);
    }
    if (interactive_tty) fputc('\n', stdout);
    fflush(stdout);
}
