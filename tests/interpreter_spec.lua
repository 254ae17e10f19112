-- The noiselab executable as a drop-in `lua`, the .so for stock lua5.4, and the REPL driven
-- through piped stdin and through a real pseudo-terminal (tmux).
local H = require "tests.helpers"
local q = H.sh_quote

local EXE = "./" .. (os.getenv("NOISELAB_SANITIZE") and "noiselab-san" or "noiselab")

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return out, ok and 0 or code
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

describe("the interpreter", function()
  local dir
  setup(function() dir = H.tmpdir() end)
  teardown(function() H.rmtree(dir) end)

  it("runs a script with arguments, skipping a #! line", function()
    write(dir .. "/s.lua", "#!/usr/bin/env noiselab\nprint(arg[0], #arg, arg[1], arg[2], ...)\n")
    local out, code = run(EXE .. " " .. dir .. "/s.lua one two")
    assert.equal(0, code)
    assert.equal(dir .. "/s.lua\t2\tone\ttwo\tone\ttwo\n", out)
  end)

  it("supports -e, -l, -v, --version, --help and -", function()
    assert.equal("3\n", (run(EXE .. " -e 'print(1+2)'")))
    assert.equal("table\n", (run(EXE .. " -l T=noiselab.tensor -e 'print(type(T))'")))
    assert.matches("^noiselab %d+%.%d+%.%d+ %(Lua 5%.4", (run(EXE .. " -v -e ''")))
    assert.matches("^noiselab %d+%.%d+%.%d+", (run(EXE .. " --version")))
    assert.matches("usage: .* %[options%] %[script %[args%]%]", (run(EXE .. " --help")))
    assert.equal("from stdin\n", (run("echo 'print(\"from stdin\")' | " .. EXE .. " -")))
    local out, code = run(EXE .. " -x")
    assert.equal(1, code)
    assert.matches("unrecognized option '%-x'", out)
  end)

  it("honours LUA_INIT", function()
    assert.equal("7\n", (run("LUA_INIT='x = 7' " .. EXE .. " -e 'print(x)'")))
    assert.equal("nil\n", (run("LUA_INIT='x = 7' " .. EXE .. " -E -e 'print(x)'")))
  end)

  it("prints a traceback and exits non-zero on error", function()
    write(dir .. "/e.lua", "local function f() error('boom') end\nf()\n")
    local out, code = run(EXE .. " " .. dir .. "/e.lua")
    assert.equal(1, code)
    assert.matches("e%.lua:1: boom", out)
    assert.matches("stack traceback:", out)
    assert.matches("in local 'f'", out)
  end)

  it("preloads every module and exposes threads and seed", function()
    local out = run(EXE .. [[ -e '
      local nl = require "noiselab"
      print(nl.threads(), nl.threads(2), nl.threads(1))
      nl.seed(3); local a = nl.tensor.randn{2}:sum(); nl.seed(3)
      print(a == nl.tensor.randn{2}:sum(), type(nl.tensor), type(nl.rng), nl.version)']])
    assert.matches("^1\t2\t1\ntrue\ttable\ttable\t%d+%.%d+%.%d+\n$", out)
  end)

  it("is loadable from stock lua5.4 as noiselab.so", function()
    if os.getenv("NOISELAB_SANITIZE") then return pending("the sanitizer build has no plain .so") end
    local out, code = run("lua5.4 -e 'package.cpath = \"./?.so;\" .. package.cpath; " ..
      "local nl = require \"noiselab\"; nl.seed(1); print(nl.tensor.ones{2, 3}:sum(), collectgarbage(\"incremental\"))'")
    assert.equal(0, code)
    assert.equal("6.0\tincremental\n", out)
  end)

  it("runs piped stdin as a script, and as a REPL with -i", function()
    assert.equal("2\n", (run("echo 'print(1 + 1)' | " .. EXE)))
    -- -i with piped input: the REPL's rules (auto-print, ';' silences, multi-line chunks)
    local out = run("printf '1 + 1\\nx = 3;\\nx\\nfunction f(a)\\n  return a * 2\\nend\\nf(21)\\n{1, 2, a = \"b\"}\\n' | " .. EXE .. " -i")
    assert.matches("2\n3\n42\n{1, 2, a = \"b\"}\n", out)
    -- help rows of the C bindings and of the Lua layer (lua/noiselab/help.lua)
    out = run("printf '?tensor.zeros\\n?nn.Linear\\nhelp(nl.optim)\\n' | " .. EXE .. " -i")
    assert.matches("tensor%.zeros%(shape %[, dtype%]%)\n  New tensor of zeros", out)
    assert.matches("nn%.Linear%(in, out %[, {bias=true", out)
    assert.matches("contents:\n  Adam", out)
    out = run("printf 'error(\"bad\")\\nprint(5)\\n' | " .. EXE .. " -i")
    assert.matches("bad", out)
    assert.matches("5\n", out)
  end)
end)

-- A real terminal: tmux runs the REPL; send-keys types, capture-pane reads the screen.
-- Skipped (with the reason) where tmux is missing or cannot open a pseudo-terminal at all
-- (e.g. a chroot without /dev/pts); a REPL that fails to start is still a failure.
local function pty_available()
  if os.execute("command -v tmux >/dev/null 2>&1") ~= true then return false, "tmux not installed" end
  local probe = "nlprobe" .. tostring(os.time()) .. tostring(math.random(1e6))
  local ok = os.execute("tmux new-session -d -s " .. probe .. " 'sleep 2' >/dev/null 2>&1 && tmux has-session -t " .. probe .. " 2>/dev/null")
  os.execute("tmux kill-session -t " .. probe .. " >/dev/null 2>&1")
  if ok ~= true then return false, "tmux cannot open a pseudo-terminal here (no /dev/pts?)" end
  return true
end
local has_tmux, no_tmux_reason = pty_available()

describe("the REPL on a terminal", function()
  local session = "nltest" .. tostring(os.time()) .. tostring(math.random(1e6))
  local home

  local function tmux(args) return run("tmux " .. args) end
  -- the screen's text without the blank rows below the cursor
  local function screen() return (tmux("capture-pane -p -J -S -200 -t " .. session):gsub("%s+$", "")) end
  -- type literal text (never read as key names such as "end"), then optional special keys
  local function keys(text, ...)
    -- (tmux reads an argument ending in ';' as a command separator unless escaped)
    if text ~= "" then tmux("send-keys -l -t " .. session .. " " .. q((text:gsub(";$", "\\;")))) end
    for _, k in ipairs({...}) do tmux("send-keys -t " .. session .. " " .. k) end
  end
  -- Wait until the screen matches a Lua pattern (or time out).
  local function wait_for(pattern, seconds)
    local deadline = os.time() + (seconds or 20)
    repeat
      local s = screen()
      if s:match(pattern) then return s end
      os.execute("sleep 0.1")
    until os.time() > deadline
    error("timed out waiting for " .. pattern .. "; screen:\n" .. screen())
  end

  setup(function()
    if not has_tmux then return end
    home = H.tmpdir()
    tmux(string.format("new-session -d -s %s -x 150 -y 50 'HOME=%s %s'", session, home,
      (io.popen("pwd"):read("l")) .. "/" .. EXE:sub(3)))
    wait_for("\n>$")
  end)
  teardown(function()
    if not has_tmux then return end
    tmux("kill-session -t " .. session)
    H.rmtree(home)
  end)

  it("auto-prints, silences with ';', continues incomplete chunks", function()
    if not has_tmux then return pending(no_tmux_reason) end
    keys("x = tensor.from{{1, 2}, {3, 4}}", "Enter")
    keys("x:sum()", "Enter")
    wait_for("\n10%.0\n")
    keys("y = x * 2;", "Enter")
    wait_for("\n> y = x %* 2;\n>$")
    keys("for i = 1, 2 do", "Enter")
    wait_for("\n>>$")
    keys("print('line', i)", "Enter")
    keys("end", "Enter")
    wait_for("line%s+2\n")
    keys("nl.tensor.zeros{600, 784}", "Enter")
    local s = wait_for("%[f64 tensor 600x784%]")
    assert.is_true(#s < 6000)
  end)

  it("completes module names, functions and tensor methods with Tab", function()
    if not has_tmux then return pending(no_tmux_reason) end
    keys("tensor.li", "Tab")
    wait_for("tensor%.linspace")
    keys("", "C-u")
    keys("x:cums", "Tab")
    wait_for("x:cumsum")
    keys("", "C-u")
    keys("nl.lev", "Tab")
    wait_for("nl%.levy")
    keys("", "C-u")
  end)

  it("shows help with ?name and help(f)", function()
    if not has_tmux then return pending(no_tmux_reason) end
    keys("?tensor.zeros", "Enter")
    wait_for("tensor%.zeros%(shape %[, dtype%]%)\n%s+New tensor of zeros")
    keys("help(x.sort)", "Enter")
    wait_for("x:sort%(%[dim=%-1 %[, descending%]%]%)")
  end)

  it("interrupts a running computation with Ctrl-C and times slow commands", function()
    if not has_tmux then return pending(no_tmux_reason) end
    keys("while true do end", "Enter")
    os.execute("sleep 0.5")
    keys("", "C-c")
    wait_for("interrupted!")
    keys("t0 = os.clock() while os.clock() - t0 < 0.3 do end", "Enter")
    wait_for("%(0%.%d%d s%)")
    keys("print('still alive')", "Enter")
    wait_for("still alive")
  end)

  it("keeps a persistent history file", function()
    if not has_tmux then return pending(no_tmux_reason) end
    keys("history_marker = 12345 print(history_marker + 1)", "Enter")
    wait_for("\n12346\n")
    local f = io.open(home .. "/.noiselab_history")
    assert.is_not_nil(f)
    local text = f:read("a")
    f:close()
    assert.matches("history_marker = 12345", text)
  end)
end)
