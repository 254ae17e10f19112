-- Busted output handler: the usual terminal report, then one closing line of the form
-- "N passed, N failed[, N skipped]" that CI reads (errors count as failures).
return function(options)
  local busted = require "busted"
  local handler = require("busted.outputHandlers.utfTerminal")(options)
  busted.subscribe({"exit"}, function()
    local passed = handler.successesCount
    local failed = handler.failuresCount + handler.errorsCount
    local skipped = handler.pendingsCount
    local line = string.format("%d passed, %d failed", passed, failed)
    if skipped > 0 then line = line .. string.format(", %d skipped", skipped) end
    io.write("\n", line, "\n")
    io.flush()
    return nil, true
  end)
  return handler
end
