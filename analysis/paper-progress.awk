# One overall progress line for analysis/paper.sh, from its table of models (one per line:
# RECIPE SEED COST CHECKPOINT LOG DONE_AT_START) and the files they name:
#   done       the checkpoint exists;
#   training   the model's log has a progress line ("NAME seed S step a/b ...") and no checkpoint yet;
#   fraction   a/b of the last progress line; where the run started, from "resuming ... from step a of b".
# The ETA is the cost left (COST × fraction left, summed) at the rate measured since the start
# (cost done in this run per elapsed second) once a minute and 2 % of the run are behind it;
# before that, the plan's cost itself (one model alone on the two cores ≈ two at a time).
# Variable: elapsed (seconds since the run started). Prints one line, no newline.
function exists(file,    line, status) {
  status = (getline line < file)
  close(file)
  return status >= 0
}

function hms(seconds,    s) {
  s = int(seconds + 0.5)
  return sprintf("%d:%02d:%02d", int(s / 3600), int(s % 3600 / 60), s % 60)
}

# Sets now and start (fractions of the model done now and when this run began) from its log.
function readLog(file, doneAtStart,    line, fields, n, i, pair) {
  now = 0; start = doneAtStart ? 1 : 0
  while ((getline line < file) > 0) {
    n = split(line, fields, " ")
    if (fields[1] == "resuming" && n >= 9 && fields[6] == "step" && fields[8] == "of" && fields[9] + 0 > 0) {
      start = fields[7] / fields[9]
      if (now < start) now = start
    }
    for (i = 1; i < n; i++) if (fields[i] == "step" && fields[i + 1] ~ /^[0-9]+\/[0-9]+$/) {
      split(fields[i + 1], pair, "/")
      if (pair[2] + 0 > 0) now = pair[1] / pair[2]
    }
  }
  close(file)
}

{
  models++
  cost = $3
  if (exists($4)) { done++; readLog($5, $6); now = 1 }
  else { readLog($5, $6); if (now > 0) training++ }
  total += cost * (1 - start)
  left += cost * (1 - now)
  if (now > start) progressed += cost * (now - start)
}

END {
  if (models == 0) { printf "no models"; exit }
  if (elapsed >= 60 && progressed > 0 && progressed >= 0.02 * total) { eta = left * elapsed / progressed; source = "measured rate" }
  else { eta = left; source = "plan estimate" }
  printf "%d/%d models done, %d training, %d waiting; elapsed %s, ETA %s (%s)", \
    done, models, training, models - done - training, hms(elapsed), hms(eta), source
}
