/* noiselab: a drop-in `lua` interpreter with every noiselab module preloaded.
 * Command line as lua.c (Lua 5.4): noiselab [options] [script [args]], with -e stat,
 * -l name, -i, -v, -E, -W, -- and -; LUA_INIT_5_4 / LUA_INIT; a traceback on error.
 * With no script and a terminal on stdin it starts the REPL (repl.c). */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "modules.h"
#include "repl.h"

static const char *progname = "noiselab";

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: %s [options] [script [args]]\n"
            "Available options are:\n"
            "  -e stat   execute string 'stat'\n"
            "  -i        enter interactive mode after executing 'script'\n"
            "  -l mod    require library 'mod' into global 'mod'\n"
            "  -l g=mod  require library 'mod' into global 'g'\n"
            "  -v        show version information\n"
            "  -E        ignore environment variables\n"
            "  -W        turn warnings on\n"
            "  --help    show this help\n"
            "  --version show version information\n"
            "  --        stop handling options\n"
            "  -         stop handling options and execute stdin\n"
            "With no script and a terminal on stdin, starts the REPL.\n",
            progname);
}

static void print_version(void)
{
    printf("noiselab %s (%s)\n", NL_VERSION, LUA_RELEASE);
    fflush(stdout);
}

int nl_report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (!msg) msg = "(error object is not a string)";
        fprintf(stderr, "%s: %s\n", progname, msg);
        fflush(stderr);
        lua_pop(L, 1);
    }
    return status;
}

int nl_msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int nl_docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, nl_msghandler);
    lua_insert(L, base);
    nl_interrupt_arm();
    int status = lua_pcall(L, narg, nres, base);
    nl_interrupt_disarm();
    lua_remove(L, base);
    return status;
}

static void create_arg_table(lua_State *L, char **argv, int argc, int script)
{
    if (script == argc) script = 0; /* no script name: arg[0] is the interpreter */
    int narg = argc - (script + 1);
    lua_createtable(L, narg, script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int dochunk(lua_State *L, int status)
{
    if (status == LUA_OK) status = nl_docall(L, 0, 0);
    return nl_report(L, status);
}

static int dostring(lua_State *L, const char *s, const char *name)
{
    return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

static int dolibrary(lua_State *L, char *globname)
{
    char *modname = strchr(globname, '=');
    if (modname == NULL) modname = globname;
    else *modname++ = '\0';
    lua_getglobal(L, "require");
    lua_pushstring(L, modname);
    int status = nl_docall(L, 1, 1);
    if (status == LUA_OK) lua_setglobal(L, globname);
    return nl_report(L, status);
}

static int pushargs(lua_State *L)
{
    if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
    int n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    int i;
    for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
    lua_remove(L, -i);
    return n;
}

static int handle_script(lua_State *L, char **argv)
{
    const char *fname = argv[0];
    if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL; /* stdin */
    int status = luaL_loadfile(L, fname); /* skips a first line starting with '#' */
    if (status == LUA_OK) {
        int n = pushargs(L);
        status = nl_docall(L, n, LUA_MULTRET);
    }
    return nl_report(L, status);
}

enum { has_error = 1, has_i = 2, has_v = 4, has_e = 8, has_E = 16, has_help = 32, has_version = 64 };

static int collectargs(char **argv, int *first)
{
    int args = 0;
    int i;
    if (argv[0] != NULL) {
        if (argv[0][0]) progname = argv[0];
    } else {
        *first = -1;
        return 0;
    }
    for (i = 1; argv[i] != NULL; i++) {
        *first = i;
        if (argv[i][0] != '-') return args;
        if (strcmp(argv[i], "--help") == 0) return args | has_help;
        if (strcmp(argv[i], "--version") == 0) return args | has_version;
        switch (argv[i][1]) {
        case '-':
            if (argv[i][2] != '\0') return has_error;
            *first = i + 1;
            return args;
        case '\0': return args;
        case 'E':
            if (argv[i][2] != '\0') return has_error;
            args |= has_E;
            break;
        case 'W':
            if (argv[i][2] != '\0') return has_error;
            break;
        case 'i':
            args |= has_i; /* fallthrough: -i implies -v */
            /* FALLTHROUGH */
        case 'v':
            if (argv[i][2] != '\0') return has_error;
            args |= has_v;
            break;
        case 'e':
            args |= has_e; /* FALLTHROUGH */
        case 'l':
            if (argv[i][2] == '\0') {
                i++;
                if (argv[i] == NULL || argv[i][0] == '-') return has_error;
            }
            break;
        default: return has_error;
        }
    }
    *first = i;
    return args;
}

static int runargs(lua_State *L, char **argv, int n)
{
    for (int i = 1; i < n; i++) {
        int option = argv[i][1];
        switch (option) {
        case 'e':
        case 'l': {
            char *extra = argv[i] + 2;
            if (*extra == '\0') extra = argv[++i];
            int status = option == 'e' ? dostring(L, extra, "=(command line)") : dolibrary(L, extra);
            if (status != LUA_OK) return 0;
            break;
        }
        case 'W': lua_warning(L, "@on", 0); break;
        }
    }
    return 1;
}

static int handle_luainit(lua_State *L)
{
    const char *name = "=LUA_INIT_5_4";
    const char *init = getenv(name + 1);
    if (init == NULL) {
        name = "=LUA_INIT";
        init = getenv(name + 1);
    }
    if (init == NULL) return LUA_OK;
    if (init[0] == '@') return dochunk(L, luaL_loadfile(L, init + 1));
    return dostring(L, init, name);
}

typedef struct { int argc; char **argv; int status; } main_args;

static int pmain(lua_State *L)
{
    main_args *m = lua_touserdata(L, 1);
    char **argv = m->argv;
    int script = 0;
    int args = collectargs(argv, &script);
    luaL_checkversion(L);
    if (args == has_error) {
        fprintf(stderr, "%s: unrecognized option '%s'\n", progname, argv[script]);
        print_usage(stderr);
        return 0;
    }
    if (args & has_help) {
        print_usage(stdout);
        m->status = 1;
        return 0;
    }
    if (args & (has_version | has_v)) print_version();
    if (args & has_version) {
        m->status = 1;
        return 0;
    }
    if (args & has_E) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    luaL_openlibs(L);
    nl_preload_all(L);
    create_arg_table(L, argv, m->argc, script);
    lua_gc(L, LUA_GCRESTART);
    /* Incremental, not generational (lua.c's default): tensor memory lives outside the Lua
     * heap and is reported as collector debt; in generational mode a tensor that survives two
     * minor collections becomes old and waits for a major collection that the small Lua heap
     * never triggers, so loops of temporaries would grow without bound. */
    lua_gc(L, LUA_GCINC, 0, 0, 0);
    if (!(args & has_E) && handle_luainit(L) != LUA_OK) return 0;
    if (!runargs(L, argv, script)) return 0;
    if (script > 0 && argv[script] != NULL) {
        if (handle_script(L, argv + script) != LUA_OK) return 0;
    }
    if (args & has_i) {
        nl_repl(L);
    } else if (script < 1 || argv[script] == NULL) {
        if (!(args & (has_e | has_v))) {
            if (isatty(0)) {
                print_version();
                nl_repl(L);
            } else if (dochunk(L, luaL_loadfile(L, NULL)) != LUA_OK) {
                return 0;
            }
        }
    }
    m->status = 1;
    return 0;
}

int main(int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "%s: cannot create state: not enough memory\n", argv[0]);
        return EXIT_FAILURE;
    }
    main_args m = {argc, argv, 0};
    lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, pmain);
    lua_pushlightuserdata(L, &m);
    int status = lua_pcall(L, 1, 0, 0);
    nl_report(L, status);
    lua_close(L);
    return (m.status && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
