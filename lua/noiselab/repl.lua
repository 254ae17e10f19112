--- REPL support: value printing, tab completion and help (used by src/repl.c).
local M = {}

local MAX_ITEMS = 20   -- table entries shown before "..."
local MAX_DEPTH = 3

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local function tensor_module()
  local ok, T = pcall(require, "noiselab.tensor")
  return ok and T or nil
end

local function short(v)
  local T = tensor_module()
  if T and T.is_tensor(v) then
    local s = v:shape()
    return string.format("[%s tensor %s]", v:dtype(), #s == 0 and "scalar" or table.concat(s, "x"))
  end
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

--- A readable, bounded rendering of any value: tensors print with their values (large ones
-- truncated), tables as constructors (nested to depth 3, 20 entries per level).
function M.pretty(v, depth, seen)
  depth = depth or 0
  seen = seen or {}
  if type(v) ~= "table" then
    local T = tensor_module()
    if T and T.is_tensor(v) then
      return depth == 0 and tostring(v) or short(v)
    end
    return short(v)
  end
  local mt = getmetatable(v)
  if mt and mt.__tostring then return tostring(v) end
  if seen[v] then return "<cycle>" end
  if depth >= MAX_DEPTH then return "{...}" end
  seen[v] = true
  local parts, n = {}, #v
  for i = 1, math.min(n, MAX_ITEMS) do parts[#parts + 1] = M.pretty(v[i], depth + 1, seen) end
  if n > MAX_ITEMS then parts[#parts + 1] = string.format("... (%d items)", n) end
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for i, k in ipairs(keys) do
    if i > MAX_ITEMS then
      parts[#parts + 1] = string.format("... (%d more keys)", #keys - MAX_ITEMS)
      break
    end
    local ks = is_identifier(k) and k or "[" .. short(k) .. "]"
    parts[#parts + 1] = ks .. " = " .. M.pretty(v[k], depth + 1, seen)
  end
  seen[v] = nil
  local one = "{" .. table.concat(parts, ", ") .. "}"
  if #one <= 100 then return one end
  local pad = string.rep("  ", depth + 1)
  return "{\n" .. pad .. table.concat(parts, ",\n" .. pad) .. "\n" .. string.rep("  ", depth) .. "}"
end

function M.format_results(res)
  local out = {}
  for i = 1, res.n do out[i] = M.pretty(res[i]) end
  return table.concat(out, "\t")
end

-- Keys reachable from a value: its own (tables) and those of its __index chain.
local function keys_of(v, out, seen)
  seen = seen or {}
  if v == nil or seen[v] then return out end
  seen[v] = true
  if type(v) == "table" then
    for k in pairs(v) do
      if type(k) == "string" then out[k] = true end
    end
  end
  local mt = getmetatable(v)
  if type(mt) == "table" then
    local idx = rawget(mt, "__index")
    if type(idx) == "table" then keys_of(idx, out, seen) end
  end
  -- noiselab.nl loads modules lazily: offer the ones not loaded yet too
  if type(v) == "table" and rawget(v, "modules") and rawget(v, "version") then
    for _, m in ipairs(v.modules) do out[m] = true end
  end
  return out
end

-- Resolve "a.b.c" by plain indexing (no calls): nil if any step fails.
local function resolve(path)
  local v = _G
  for name in path:gmatch("[^%.:]+") do
    local ok, nv = pcall(function() return v[name] end)
    if not ok or nv == nil then return nil end
    v = nv
  end
  return v
end

--- Completion candidates for the word under the cursor ("nl.te", "x:su", "pri").
function M.complete(word)
  local prefix, sep, partial = word:match("^(.*)([%.:])([%w_]*)$")
  local candidates = {}
  if prefix then
    local v = resolve(prefix)
    if v == nil then return candidates end
    for k in pairs(keys_of(v, {})) do
      if is_identifier(k) and k:sub(1, #partial) == partial and not k:match("^__") then
        local val = nil
        pcall(function() val = v[k] end)
        if sep == "." or type(val) == "function" then
          candidates[#candidates + 1] = prefix .. sep .. k
        end
      end
    end
  else
    local kw = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function",
                "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
                "true", "until", "while"}
    for _, k in ipairs(kw) do
      if k:sub(1, #word) == word then candidates[#candidates + 1] = k end
    end
    for k in pairs(keys_of(_G, {})) do
      if is_identifier(k) and k:sub(1, #word) == word then candidates[#candidates + 1] = k end
    end
  end
  table.sort(candidates)
  return candidates
end

--- help(f): signature and one-line summary of a noiselab function (or a module's contents).
-- The Lua layer's rows (lua/noiselab/help.lua) are keyed by "module.name": find v's name.
local function lua_help_row(v)
  local rows = require "noiselab.help"
  local nl = require "noiselab"
  for _, m in ipairs(nl.modules) do
    local ok, mod = pcall(function() return nl[m] end)
    if ok and type(mod) == "table" then
      for k, f in pairs(mod) do
        if f == v and rows[m .. "." .. k] then return rows[m .. "." .. k] end
      end
      local mt = getmetatable(mod)
      if mt and mt.__call == v and rows[m .. ".new"] then return rows[m .. ".new"] end
    end
  end
end

function M.help(v)
  local reg = debug.getregistry()["noiselab.help"] or {}
  local h = reg[v]
  if h then
    return string.format("%s\n  %s", h.signature, h.summary)
  end
  local row = type(v) == "function" and lua_help_row(v)
  if row then return string.format("%s\n  %s", row[1], row[2]) end
  if type(v) == "table" then
    local names = {}
    for k, x in pairs(keys_of(v, {})) do
      if is_identifier(k) and not k:match("^__") then
        local val = v[k]
        local row = reg[val]
        local lrow = not row and type(val) == "function" and lua_help_row(val)
        local summary = row and row.summary or (lrow and lrow[2])
        names[#names + 1] = summary and string.format("  %-16s %s", k, summary) or ("  " .. k)
      end
    end
    table.sort(names)
    return "contents:\n" .. table.concat(names, "\n")
  end
  if v == nil then return "no such name (help takes a value, e.g. ?tensor.zeros or help(nl.levy))" end
  return "no help for this " .. type(v)
end

function M.setup_globals()
  local nl = require "noiselab"
  _G.nl = nl
  for _, m in ipairs(nl.modules) do
    local ok, mod = pcall(function() return nl[m] end)
    if ok and mod ~= nil and _G[m] == nil then _G[m] = mod end
  end
  _G.help = function(v) print(M.help(v)) end
end

return M
