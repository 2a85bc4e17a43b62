# sim.awk: t120's simulated population.  Reads crm-experiment's JSONL
# output with a "day" field added (the assignment day) and writes one
# purchase event for each subject that converts: a MINSTD draw (exact in
# any awk: products below 2^53) with rate rate1 in treatment, rate0
# otherwise, 1 to 5 days after the assignment day (days of March).
BEGIN { x = 20260301 }
function draw() { x = (x * 48271) % 2147483647; return x / 2147483647 }
{
	match($0, /"customer_id":"[^"]*"/); id = substr($0, RSTART + 15, RLENGTH - 16)
	match($0, /"arm":"[^"]*"/); arm = substr($0, RSTART + 7, RLENGTH - 8)
	match($0, /"day":"[^"]*"/); day = substr($0, RSTART + 7, RLENGTH - 8)
	u = draw(); lag = 1 + int(draw() * 5)
	if (u < (arm == "treatment" ? rate1 : rate0))
		printf "{\"event_id\":\"p%s\",\"customer_id\":\"%s\",\"time\":\"%s%02dT12:00:00Z\",\"type\":\"purchase\"}\n", id, id, substr(day, 1, 8), substr(day, 9, 2) + lag
}
