# Reads analysis/paper-plan.tsv and prints the jobs of the figures asked for, for analysis/paper.sh:
#   construct NAME ARGS...              one line per construction
#   train RECIPE SEEDS QUICK COST       one line per recipe; SEEDS a comma list (the union of its rows)
# Variables: only = "2,15" (figures; empty: all), quick = 1 (the smallest seed only, QUICK = the
# row's shortening, COST scaled by the shortened steps and batch over the recipe's) or 0 (QUICK =
# "-"), zoo = folder of the recipes (default zoo).
# A malformed row, an unknown recipe or figure: "Error: FILE:LINE: what" on stderr, exit 1.
BEGIN {
  FS = "\t"
  if (zoo == "") zoo = "zoo"
  wanted = 0
  n = split(only, list, ",")
  for (i = 1; i <= n; i++) if (list[i] != "") { want[list[i]] = 1; wanted++ }
  recipes = 0; constructions = 0; failed = 0
}

# The number after "key": in a recipe's text (its training section's steps and batch_size), or `otherwise`.
function field(text, key, otherwise,    found) {
  if (!match(text, "\"" key "\": *[0-9]+")) return otherwise
  found = substr(text, RSTART, RLENGTH)
  sub(/.*: */, "", found)
  return found + 0
}

# The cost of `name` shortened to `short` (STEPS or STEPS/BATCH) from the recipe's own steps and batch.
function shortened(name, short, cost,    text, line, file, parts, n) {
  if (short == "-") return cost
  file = zoo "/" name ".json"; text = ""
  while ((getline line < file) > 0) text = text line " "
  close(file)
  n = split(short, parts, "/")
  cost = cost * parts[1] / field(text, "steps", 5000)
  if (n == 2) cost = cost * parts[2] / field(text, "batch_size", 2048)
  return cost
}

function fail(what) {
  printf "Error: %s:%d: %s\n", FILENAME, FNR, what > "/dev/stderr"
  failed = 1
}

# Adds the seeds of `text` ('0-4' or '0,3,7', each below 1000) to seed[recipe, s]; 0 when malformed.
function addSeeds(recipe, text,    parts, k, i, lo, hi, range) {
  if (text ~ /^[0-9]+-[0-9]+$/) {
    split(text, range, "-")
    lo = range[1] + 0; hi = range[2] + 0
    if (lo > hi || hi >= 1000) return 0
    for (i = lo; i <= hi; i++) seed[recipe, i] = 1
    return 1
  }
  if (text !~ /^[0-9]+(,[0-9]+)*$/) return 0
  k = split(text, parts, ",")
  for (i = 1; i <= k; i++) if (parts[i] + 0 >= 1000) return 0
  for (i = 1; i <= k; i++) seed[recipe, parts[i] + 0] = 1
  return 1
}

/^#/ || /^[ \t]*$/ { next }

{
  if (NF != 7) { fail("expected 7 tab-separated fields (figure kind name seeds quick cost_s args), got " NF); next }
  figure = $1; kind = $2; name = $3; seeds = $4; short = $5; cost = $6; args = $7
  if (figure !~ /^[0-9]+$/ || figure + 0 < 2 || figure + 0 > 16) { fail("figure must be 2 to 16, got '" figure "'"); next }
  if (name !~ /^[A-Za-z0-9][A-Za-z0-9._-]*$/) { fail("bad name '" name "'"); next }
  if (cost !~ /^[0-9]+(\.[0-9]+)?$/) { fail("cost_s must be a number of seconds, got '" cost "'"); next }
  inPlan[figure] = 1
  selected = !wanted || (figure in want)
  if (kind == "train") {
    file = zoo "/" name ".json"
    if ((getline line < file) < 0) { fail("no recipe " file); next }
    close(file)
    if (short !~ /^(-|[0-9]+(\/[0-9]+)?)$/) { fail("quick must be -, STEPS or STEPS/BATCH, got '" short "'"); next }
    if (args != "-") { fail("args must be - for a trained model, got '" args "'"); next }
    if ((name in quickOf) && (quickOf[name] != short || costOf[name] != cost)) {
      fail(name ": quick and cost_s differ from its earlier row"); next
    }
    if (!(name in quickOf)) { quickOf[name] = short; costOf[name] = cost }
    if (!selected) next
    if (!(name in order)) { order[name] = ++recipes; recipeAt[recipes] = name }
    if (!addSeeds(name, seeds)) { fail("seeds must be a range like 0-4 or a list like 0,3,7, got '" seeds "'"); next }
  } else if (kind == "construct") {
    if (seeds != "-" || short != "-") { fail("a construction has no seeds or quick: write -"); next }
    if (args == "-" || args == "") { fail("a construction needs the arguments of icl-zoo construct"); next }
    if ((name in argsOf) && argsOf[name] != args) { fail(name ": args differ from its earlier row"); next }
    argsOf[name] = args
    if (!selected || (name in constructed)) next
    constructed[name] = 1
    constructionAt[++constructions] = name
  } else {
    fail("kind must be train or construct, got '" kind "'")
  }
}

END {
  for (f in want) if (!(f in inPlan)) { printf "Error: %s: no figure %s in the plan\n", FILENAME, f > "/dev/stderr"; failed = 1 }
  if (failed) exit 1
  for (i = 1; i <= constructions; i++) print "construct " constructionAt[i] " " argsOf[constructionAt[i]]
  for (i = 1; i <= recipes; i++) {
    name = recipeAt[i]; text = ""
    for (s = 0; s < 1000; s++) if ((name, s) in seed) {
      text = text (text == "" ? "" : ",") s
      if (quick) break
    }
    if (quick) printf "train %s %s %s %.0f\n", name, text, quickOf[name], shortened(name, quickOf[name], costOf[name])
    else print "train " name " " text " - " costOf[name]
  }
}
