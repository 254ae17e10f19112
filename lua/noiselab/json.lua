-- noiselab.json: a small JSON (RFC 8259) encoder and decoder for run records (run.json).
--
-- Pure Lua, no dependencies.  Choices, and why:
--   * Objects are written with their keys sorted, so two runs with the same configuration give
--     byte-identical records (diffable).  `indent` pretty-prints.
--   * A Lua table is an array when its keys are exactly 1..n (n >= 1) or it carries the
--     json.array marker (json.array{} is how to write an empty array); otherwise an object.
--     An empty unmarked table is written as {}.  Mixed tables are an error (they have no JSON
--     meaning) rather than a silent loss of keys.
--   * Integers are written as integers; floats with %.17g so they read back to the same double.
--     NaN and ±inf have no JSON spelling: they are written as null (and reported by encode's
--     second result so a caller may warn).  Decoding reads integers without a fraction or
--     exponent as Lua integers when they fit, other numbers as floats.
--   * null decodes to json.null (a unique sentinel), so arrays keep their length and objects
--     their keys; decode(s, {drop_null = true}) decodes it as nil instead.
--   * Errors name the byte position and what was expected: `json.decode: expected ',' or '}'
--     at byte 17 (line 2, column 5), got 'x'`.
local json = {}

json.null = setmetatable({}, {__tostring = function() return "null" end, __name = "json.null"})
local array_mt = {__name = "json.array"}

-- Mark t (or a new table) as a JSON array: json.array{} encodes as [].
function json.array(t)
  return setmetatable(t or {}, array_mt)
end

function json.is_array(t)
  return getmetatable(t) == array_mt
end

---------------------------------------------------------------------------------------------
-- encoding

local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function encode_number(x, state)
  if math.type(x) == "integer" then return string.format("%d", x) end
  if x ~= x or x == math.huge or x == -math.huge then
    state.nonfinite = (state.nonfinite or 0) + 1
    return "null"
  end
  -- Shortest of %.15g/%.16g/%.17g that reads back exactly: keeps 0.1 as 0.1.
  for _, fmt in ipairs{"%.15g", "%.16g", "%.17g"} do
    local s = string.format(fmt, x)
    if tonumber(s) == x then
      -- Keep a float recognisable as one when it has an integral value (1.0 -> 1.0).
      if not s:find("[%.eEn]") then s = s .. ".0" end
      return s
    end
  end
end

-- Classify a table: "array" (with its length) or "object".
local function table_kind(t, path)
  if getmetatable(t) == array_mt then
    return "array", #t
  end
  local n, count, has_string = 0, 0, false
  for k in pairs(t) do
    count = count + 1
    if math.type(k) == "integer" and k >= 1 then
      if k > n then n = k end
    elseif type(k) == "string" then
      has_string = true
    else
      error(string.format("json.encode: cannot encode a key of type %s at %s", type(k), path), 0)
    end
  end
  if count == 0 then return "object", 0 end
  if not has_string and n == count then return "array", n end
  if not has_string then
    error(string.format("json.encode: sparse array at %s (keys up to %d but only %d entries)",
      path, n, count), 0)
  end
  if n > 0 then
    error(string.format("json.encode: table at %s mixes integer and string keys", path), 0)
  end
  return "object", count
end

local encode_value

local function encode_table(t, state, depth, path)
  if state.seen[t] then
    error("json.encode: cycle at " .. path, 0)
  end
  state.seen[t] = true
  local kind, n = table_kind(t, path)
  local indent = state.indent
  local nl, pad, pad_in, colon = "", "", "", ":"
  if indent then
    nl = "\n"
    pad = string.rep(indent, depth)
    pad_in = string.rep(indent, depth + 1)
    colon = ": "
  end
  local parts = {}
  local out
  if kind == "array" then
    for i = 1, n do
      parts[i] = pad_in .. encode_value(t[i], state, depth + 1, path .. "[" .. i .. "]")
    end
    out = n == 0 and "[]" or ("[" .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. "]")
  else
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys)
    for i, k in ipairs(keys) do
      parts[i] = pad_in .. encode_string(k) .. colon ..
        encode_value(t[k], state, depth + 1, path .. "." .. k)
    end
    out = #keys == 0 and "{}" or ("{" .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. "}")
  end
  state.seen[t] = nil
  return out
end

function encode_value(v, state, depth, path)
  local tv = type(v)
  if v == nil or v == json.null then
    return "null"
  elseif tv == "boolean" then
    return v and "true" or "false"
  elseif tv == "number" then
    return encode_number(v, state)
  elseif tv == "string" then
    return encode_string(v)
  elseif tv == "table" then
    return encode_table(v, state, depth, path)
  else
    -- Tensors and other userdata with a totable method are written as their values.
    local mt = getmetatable(v)
    if tv == "userdata" and type(v.totable) == "function" then
      return encode_value(v:totable(), state, depth, path)
    end
    if mt and mt.__tojson then
      return encode_value(mt.__tojson(v), state, depth, path)
    end
    error(string.format("json.encode: cannot encode a %s at %s", tv, path), 0)
  end
end

-- json.encode(value [, {indent = "  "}]) -> string, number of non-finite numbers written as null
function json.encode(v, opts)
  local indent = opts and opts.indent
  if indent == true then indent = "  " end
  if type(indent) == "number" then indent = string.rep(" ", indent) end
  local state = {seen = {}, indent = indent}
  local s = encode_value(v, state, 0, "$")
  return s, state.nonfinite or 0
end

---------------------------------------------------------------------------------------------
-- decoding

local function decode_error(str, pos, what)
  local line, col = 1, 1
  for i = 1, math.min(pos - 1, #str) do
    if str:byte(i) == 10 then line, col = line + 1, 1 else col = col + 1 end
  end
  local got = pos > #str and "end of input" or ("'" .. str:sub(pos, pos) .. "'")
  error(string.format("json.decode: expected %s at byte %d (line %d, column %d), got %s",
    what, pos, line, col, got), 0)
end

local function skip_ws(str, pos)
  return str:find("[^ \t\r\n]", pos) or #str + 1
end

local decode_value

local unescape = {
  ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t',
}

local function decode_string(str, pos)
  -- pos is at the opening quote
  local buf = {}
  local i = pos + 1
  while true do
    local j = str:find('["\\%c]', i)
    if not j then decode_error(str, #str + 1, "closing '\"'") end
    buf[#buf + 1] = str:sub(i, j - 1)
    local c = str:sub(j, j)
    if c == '"' then
      return table.concat(buf), j + 1
    elseif c == "\\" then
      local e = str:sub(j + 1, j + 1)
      if unescape[e] then
        buf[#buf + 1] = unescape[e]
        i = j + 2
      elseif e == "u" then
        local hex = str:match("^%x%x%x%x", j + 2)
        if not hex then decode_error(str, j + 2, "4 hex digits after \\u") end
        local cp = tonumber(hex, 16)
        i = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          -- UTF-16 surrogate pair
          local lo = str:match("^\\u(%x%x%x%x)", i)
          local lov = lo and tonumber(lo, 16)
          if not lov or lov < 0xDC00 or lov > 0xDFFF then
            decode_error(str, i, "a low surrogate \\uDC00-\\uDFFF")
          end
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (lov - 0xDC00)
          i = i + 6
        elseif cp >= 0xDC00 and cp <= 0xDFFF then
          decode_error(str, j, "a high surrogate before a low one")
        end
        buf[#buf + 1] = utf8.char(cp)
      else
        decode_error(str, j + 1, "an escape character (\"\\/bfnrtu)")
      end
    else
      decode_error(str, j, "no raw control character inside a string")
    end
  end
end

local function decode_number(str, pos)
  -- Take the longest run of number characters, then hold it against the JSON grammar exactly
  -- (no leading zeros, no '+', digits on both sides of '.', an exponent needs digits).
  local s = str:match("^[-+%d%.eE]+", pos)
  local ok = s and s:match("^-?0") and not s:match("^-?0%d") or (s and s:match("^-?[1-9]"))
  if ok then
    local int, frac, exp = s:match("^(-?%d+)(%.?%d*)([eE]?[-+]?%d*)$")
    ok = int and (frac == "" or #frac > 1) and (exp == "" or exp:match("^[eE][-+]?%d+$"))
  end
  if not ok then decode_error(str, pos, "a number") end
  local v
  if s:find("[%.eE]") then
    v = tonumber(s)
  else
    -- integers that overflow 64 bits become floats rather than wrapping
    v = math.tointeger(tonumber(s)) or tonumber(s .. ".0")
    if math.type(v) == "integer" and tostring(v) ~= s:gsub("^%-0$", "0") then v = tonumber(s .. ".0") end
  end
  return v, pos + #s
end

local function decode_array(str, pos, opts, depth)
  local t = json.array{}
  local n = 0
  pos = skip_ws(str, pos + 1)
  if str:sub(pos, pos) == "]" then return t, pos + 1 end
  while true do
    local v
    v, pos = decode_value(str, pos, opts, depth + 1)
    n = n + 1
    t[n] = v
    pos = skip_ws(str, pos)
    local c = str:sub(pos, pos)
    if c == "]" then return t, pos + 1 end
    if c ~= "," then decode_error(str, pos, "',' or ']'") end
    pos = skip_ws(str, pos + 1)
  end
end

local function decode_object(str, pos, opts, depth)
  local t = {}
  pos = skip_ws(str, pos + 1)
  if str:sub(pos, pos) == "}" then return t, pos + 1 end
  while true do
    if str:sub(pos, pos) ~= '"' then decode_error(str, pos, "a string key") end
    local k
    k, pos = decode_string(str, pos)
    pos = skip_ws(str, pos)
    if str:sub(pos, pos) ~= ":" then decode_error(str, pos, "':'") end
    pos = skip_ws(str, pos + 1)
    local v
    v, pos = decode_value(str, pos, opts, depth + 1)
    t[k] = v
    pos = skip_ws(str, pos)
    local c = str:sub(pos, pos)
    if c == "}" then return t, pos + 1 end
    if c ~= "," then decode_error(str, pos, "',' or '}'") end
    pos = skip_ws(str, pos + 1)
  end
end

function decode_value(str, pos, opts, depth)
  if depth > 1000 then decode_error(str, pos, "nesting depth <= 1000") end
  pos = skip_ws(str, pos)
  local c = str:sub(pos, pos)
  if c == "{" then
    return decode_object(str, pos, opts, depth)
  elseif c == "[" then
    return decode_array(str, pos, opts, depth)
  elseif c == '"' then
    return decode_string(str, pos)
  elseif c == "-" or c:match("%d") then
    return decode_number(str, pos)
  elseif str:sub(pos, pos + 3) == "true" then
    return true, pos + 4
  elseif str:sub(pos, pos + 4) == "false" then
    return false, pos + 5
  elseif str:sub(pos, pos + 3) == "null" then
    return opts.null, pos + 4
  end
  decode_error(str, pos, "a JSON value")
end

-- json.decode(string [, {drop_null = true}]) -> value.  Raises on malformed input.
function json.decode(str, opts)
  if type(str) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(str) .. ")", 2)
  end
  local o = {null = json.null}
  if opts and opts.drop_null then o.null = nil end
  local v, pos = decode_value(str, 1, o, 0)
  pos = skip_ws(str, pos)
  if pos <= #str then decode_error(str, pos, "end of input") end
  return v
end

-- Read and decode a file.  Returns value, or nil and a message when the file cannot be read.
function json.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  return json.decode(s)
end

return json
