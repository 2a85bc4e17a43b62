#!/bin/sh
# gen-customers.sh N [SEED [PREFIX]]: write N synthetic customer rows as
# CSV to stdout, deterministic for a given seed; ids are PREFIX (default C)
# and a 7-digit number.  Columns: customer_id, name,
# email, phone, city, signup_date, note; the note has commas, doubled
# quotes and CJK text, phones and dates come in several common formats.
# Used by scripts/bench-ingest.sh and the kill/concurrency tests.
set -eu
n=${1:?usage: gen-customers.sh N [SEED [PREFIX]]}
seed=${2:-1}
prefix=${3:-C}
LC_ALL=C awk -v n="$n" -v seed="$seed" -v prefix="$prefix" 'BEGIN {
	srand(seed)
	split("Wei Li Fang Min Jing Lei Yan Tao Anna Maria John David Sarah " \
	    "James Emma Olivia Lucas Noah Mia Sofia", first, " ")
	split("Wang Zhang Liu Chen Yang Huang Zhao Smith Johnson Brown Garcia " \
	    "Miller Davis Wilson Moore Taylor Martin Lee", last, " ")
	split("Beijing Shanghai Shenzhen Guangzhou Chengdu London Paris Berlin " \
	    "Madrid Boston", city, " ")
	split("张伟 王芳 李娜 刘洋 陈静 杨磊 赵敏 黄涛", cjk, " ")
	split("example.com mail.cn shop.net corp.org", dom, " ")
	print "customer_id,name,email,phone,city,signup_date,note"
	for (i = 1; i <= n; i++) {
		f = first[int(rand() * 20) + 1]; l = last[int(rand() * 18) + 1]
		if (rand() < 0.15)
			name = cjk[int(rand() * 8) + 1]
		else
			name = f " " l
		email = tolower(f) "." tolower(l) i "@" dom[int(rand() * 4) + 1]
		if (rand() < 0.1)
			email = toupper(substr(email, 1, 1)) substr(email, 2)
		m = sprintf("13%d%08d", int(rand() * 10), int(rand() * 1e8))
		r = rand()
		if (r < 0.4)
			phone = m
		else if (r < 0.6)
			phone = "+86 " substr(m, 1, 3) "-" substr(m, 4, 4) "-" substr(m, 8)
		else if (r < 0.8)
			phone = substr(m, 1, 3) " " substr(m, 4, 4) " " substr(m, 8)
		else
			phone = "(0086)" m
		y = 2015 + int(rand() * 10); mo = 1 + int(rand() * 12)
		d = 1 + int(rand() * 28)
		r = rand()
		if (r < 0.5)
			date = sprintf("%04d-%02d-%02d", y, mo, d)
		else if (r < 0.8)
			date = sprintf("%04d/%d/%d", y, mo, d)
		else
			date = sprintf("%04d%02d%02d", y, mo, d)
		r = rand()
		if (r < 0.3)
			note = "\"called about order " i ", wants \"\"express\"\" shipping\""
		else if (r < 0.5)
			note = "客户反馈：物流太慢，希望尽快处理"
		else if (r < 0.7)
			note = "\"VIP, prefers e-mail\""
		else
			note = ""
		printf "%s%07d,%s,%s,%s,%s,%s,%s\n", prefix, i, name, email, phone,
		    city[int(rand() * 10) + 1], date, note
	}
}'
