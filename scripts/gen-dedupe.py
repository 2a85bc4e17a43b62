#!/usr/bin/python3
"""gen-dedupe.py: synthetic customers with corrupted duplicates, for
scripts/bench-dedupe.sh.

usage: gen-dedupe.py [-n N] [--seed S] [--dup-rate R] [--no-shared]
                     OUT.csv TRUTH.csv
       gen-dedupe.py --self-test

Writes N customer records to OUT.csv (header customer_id, given_name,
surname, email, phone, birth_date, address, city, postcode) and the truth
to TRUTH.csv (header customer_id,entity_id).  A share R (default 0.2) of the
rows are corrupted duplicates of an entity's original row: 70% of the
entities that have duplicates have one, 20% two, 10% three.  Each
duplicate gets 1 to 4 corruptions (2.5 on average), drawn from: a typo
(insert, delete, substitute or transpose one character) in a name, email,
address or city; given name and surname swapped; a value left empty; the
phone or the birth date written in another format (which means the same
number or day); a new address (the customer moved); the email's case or
dots changed.  Names are drawn with Zipf-like frequencies (weight
1/(rank+5)), so common surnames form big blocks; about 10% of the entities
have Chinese names in Han characters, Chinese phones, cities and
addresses.

Phones and e-mails are shared as in real customer files, so that equal
phones or e-mails do not mean one person, and a blocking or a score that
trusts them pays for it: 25% of the persons live in households of 2 to 4
customers (60%, 25%, 15%) at one address, where a member has the head's
surname (85%; 70% for Chinese families), half the households have a
landline that each member gives with probability 0.6 (else their own
number), 30% a household e-mail (thesmiths12@..., wangjia7@...) each
member gives with probability 0.6, 4% of the US households a junior (the
head's given name and surname, born 20 to 35 years later) and 3% of those
of three or more twins (one birthday); 4% of the other persons give their
employer's switchboard number (offices of Zipf-like sizes, so a few hold
hundreds of persons at N = 1,000,000); 2% have a recycled number that
another, earlier person still gives as theirs.  Each of these persons is
an entity of its own in TRUTH.csv: sharing a phone or an e-mail never
makes two persons one.  --no-shared gives every person a phone and an
e-mail of their own (a name, a birth date or a street may still be
shared), exactly the data of the generator before sharing was added.

Rows are shuffled, and customer_id is a random unique number that says
nothing about the entity.  Deterministic for a given seed (and option
values); standard library only (Debian's /usr/bin/python3).  --self-test
checks that, and the sharing, on small files (tests/cli/t046).
"""

import argparse
import csv
import os
import random
import re
import sys
import tempfile
from collections import Counter, defaultdict

# ---- built-in lists (most frequent first) --------------------------------------

GIVEN = """James Mary John Patricia Robert Jennifer Michael Linda William
Elizabeth David Barbara Richard Susan Joseph Jessica Thomas Sarah Charles
Karen Christopher Nancy Daniel Lisa Matthew Betty Anthony Margaret Mark
Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Dorothy Kevin Carol Brian Amanda George Melissa Edward
Deborah Ronald Stephanie Timothy Rebecca Jason Sharon Jeffrey Laura Ryan
Cynthia Jacob Kathleen Gary Amy Nicholas Shirley Eric Angela Jonathan
Helen Stephen Anna Larry Brenda Justin Pamela Scott Nicole Brandon Emma
Benjamin Samantha Samuel Katherine Gregory Christine Frank Debra
Alexander Rachel Raymond Catherine Patrick Carolyn Jack Janet Dennis Ruth
Jerry Maria Tyler Heather Aaron Diane Jose Virginia Adam Julie Henry
Joyce Nathan Victoria Douglas Olivia Zachary Kelly Peter Christina Kyle
Lauren Walter Joan Ethan Evelyn Jeremy Judith Harold Megan Keith Cheryl
Christian Andrea Roger Hannah Noah Martha Gerald Jacqueline Carl Frances
Terry Gloria Sean Ann Austin Teresa Arthur Kathryn Lawrence Sara Jesse
Janice Dylan Jean Bryan Alice Joe Madison Jordan Doris Billy Abigail
Bruce Julia Albert Judy Willie Grace Gabriel Denise Logan Amber Alan
Marilyn Juan Beverly Wayne Danielle Roy Theresa Ralph Sophia Randy Marie
Eugene Diana Vincent Brittany Russell Natalie Elijah Isabella Louis
Charlotte Bobby Rose Philip Alexis Johnny Kayla Liam Chloe Oliver Zoe
Lucas Mia Mateo Aria Leo Layla Ezra Nora Hugo Ines Lars Freya Sven Ingrid
Pierre Claire Luca Giulia Marco Chiara Diego Lucia Pablo Elena Omar
Fatima Ahmed Aisha Raj Priya Arjun Ananya Kenji Yuki Hiroshi Sakura""".split()

SURNAMES = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez
Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore
Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez
Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter
Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins
Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan
Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price
Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell
Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes
Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander
Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant
Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro
Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy
Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson
Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz
Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar
Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols
Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins
Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott
Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado
Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards
Contreras Willis Carpenter Lawrence Sandoval Guerrero George Chapman Rios
Estrada Ortega Watkins Greene Nunez Wheeler Valdez Harper Burke Larson
Santiago Maldonado Morrison Franklin Carlson Austin Dominguez Carr
Lawson Jacobs OBrien Lynch Singh Vega Bishop Montgomery Oliver Jensen
Harvey Williamson Gilbert Dean Sims Espinoza Howell Li Wong Reid Hanson
Le McCoy Garrett Burton Fuller Wang Weber Welch Rojas Lucas Marquez
Fields Park Yang Little Banks Padilla Day Walsh Bowman Schultz Luna
Fowler Mejia Davidson Acosta Brewer May Holland Juarez Newman Pearson
Curtis Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller
Avila Wade Molina Stanley Hopkins Campos Barnett Bates Chambers Caldwell
Beck Lambert Miranda Byrd Craig Ayala Lowe Frazier Powers Neal Leonard
Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris Jennings
Watts Duran Walters Cohen McDaniel Moran Parks Steele Vaughn Becker
Holt Deleon Barker Terry Hale Leon Hail Benson Haynes Horton Miles Lyons
Pham Graves Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman
Dawson Lara Fletcher Page McCarthy Love Robles Cervantes Solis Erickson
Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon Velasquez Hardy
Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis
Robbins Liu Ramsey Francis Griffith Paul Blair OConnor Cardenas Pacheco
Cross Calderon Quinn Moss Swanson Chan Rivas Khan Rodgers Serrano
Fitzgerald Rosales Stevenson Christensen Manning Gill Curry McLaughlin
Harmon McGee Gross Doyle Garner Newton Burgess Reese Walton Blake
Trujillo Adkins Brady Goodman Roman Webster Goodwin Fischer Huang Potter
Delacruz Montoya Todd Wu Hines Mullins Castaneda Malone Cannon Tate Mack
Sherman Hubbard Hodges Zhang Guerra Wolf Valencia Saunders Franco Rowe
Gallagher Farmer Hammond Hampton Townsend Ingram Wise Gallegos Clarke
Barton Schroeder Maxwell Waters Logan Camacho Strickland Norman Person
Colon Parsons Frank Harrington Glover Osborne Buchanan Casey Floyd
Patton Ibarra Ball Tyler Suarez Bowers Orozco Salas Cobb Gibbs Andrade
Bauer Conner Moody Escobar McGuire Lloyd Mueller Hartman French Kramer
McBride Pope Lindsey Velazquez Norton McCormick Sparks Flynn Yates Hogan
Marsh Macias Villanueva Zamora Pratt Stokes Owen Ballard Lang Brock
Villarreal Charles Drake Barrera Cain Patrick Pineda Burnett Mercado
Santana Shepherd Bautista Ali Shaffer Lamb Trevino McKenzie Hess Beil
Olsen Cochran Morton Nash Wilkins Petersen Briggs Shah Roth Nicholson
Holloway Lozano Rangel Flowers Hoover Short Arias Mora Valenzuela Bryan
Meyers Weiss Underwood Bass Greer Summers Houston Carson Morrow Clayton
Whitaker Decker Yoder Collier Zuniga Carey Wilcox Melendez Poole Roberson
Larsen Conley Davenport Copeland Massey Lam Huff Rocha Cameron Jefferson
Hood Monroe Anthony Pittman Huynh Randall Singleton Kirk Combs Mathis
Christian Skinner Bradford Richard Galvan Wall Boone Kirby Wilkinson
Bridges Bruce Atkinson Velez Meza Roy Vincent York Hodge Villa Abbott
Allison Tapia Gates Chase Sosa Sweeney Farrell Wyatt Dalton Horn Barron
Phelps Yu Dickerson Heath Foley Atkins Mathews Bonilla Acevedo Benitez
Zavala Hensley Glenn Cisneros Harrell Shields Rubio Huffman Choi Boyer
Garrison Arroyo Bond Kane Hancock Callahan Dillon Cline Wiggins Grimes
Arellano Melton ONeill Savage Ho Beltran Pitts Parrish Ponce Rich Booth
Koch Golden Ware Brennan McDowell Marks Cantu Humphrey Baxter Sawyer
Clay Tanner Hutchinson Kaur Berg Wiley Gilmore Russo Villegas Hobbs
Keith Wilkerson Ahmed Beard McClain Montes Mata Rosario Vang Walter Henson
ONeal Mosley McClure Beasley Stephenson Snow Huerta Preston Vance Barry
Johns Eaton Blackwell Dyer Prince Macdonald Solomon Guevara Stafford
English Hurst Woodard Cortes Shannon Kemp Nolan McCullough Merritt
Murillo Moon Salgado Strong Kline Cordova Barajas Roach Rosas Winters
Jacobson Lester Knox Bullock Kerr Leach Meadows Orr Davila Whitehead
Pruitt Kent Conway McKee Barr David Dejesus Marin Berger McIntyre Blankenship
Gaines Palacios Cuevas Bartlett Durham Dorsey McCall ODonnell Stein
Browning Stout Lowery Sloan McLean Hendricks Calhoun Sexton Chung Gentry
Hull Duarte Ellison Nielsen Gillespie Buck Middleton Sellers Leblanc
Esparza Hardin Bradshaw McIntosh Howe Livingston Frost Glass Morse
Knapp Herman Stark Bravo Noble Spears Weeks Corona Frederick Buckley
McFarland Hebert Enriquez Hickman Quintero Randolph Schaefer Walls
Trejo House Reilly Pennington Michael Conrad Giles Benjamin Crosby
Fitzpatrick Donovan Mays Mahoney Valentine Raymond Medrano Hahn McMillan
Small Bentley Felix Peck Lucero Boyle Hanna Pace Rush Hurley Harding
McConnell Bernal Nava Ayers Everett Ventura Avery Pugh Mayer Bender
Shepard McMahon Landry Case Sampson Moses Magana Blackburn Dunlap Gould
Duffy Vaughan Herring McKay Espinosa Rivers Farley Bernard Ashley Friedman
Potts Truong Costa Correa Blevins Nixon Clements Fry Delarosa Best Benton
Lugo Portillo Dougherty Crane Haley Phan Villalobos Blanchard Horne
Finley Quintana Lynn Esquivel Bean Dodson Mullen Xiong Hayden Cano Levy
Huber Richmond Moyer Lim Frye Sheppard McCarty Avalos Booker Waller
Parra Woodward Jaramillo Krueger Rasmussen Brandt Peralta Donaldson
Stuart Faulkner Maynard Galindo Coffey Estes Sanford Burch Maddox Vo
OConnell Vu Andersen Spence McPherson Church Schmitt Stanton Leal Cherry
Compton Dudley Sierra Pollard Alfaro Hester Proctor Lu Hinton Novak Good
Madden McCann Terrell Jarvis Dickson Reyna Cantrell Mayo Branch Hendrix
Rollins Rowland Whitney Duke Odom Daugherty Travis Tang Archer""".split()

# Chinese (Han, pinyin) pairs, most frequent first.
ZH_SURNAMES = [tuple(p.split(":")) for p in """王:wang 李:li 张:zhang 刘:liu
陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun 马:ma 朱:zhu
胡:hu 郭:guo 何:he 高:gao 林:lin 罗:luo 郑:zheng 梁:liang 谢:xie 宋:song
唐:tang 许:xu 韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao 田:tian
董:dong 袁:yuan 潘:pan 于:yu 蒋:jiang 蔡:cai 余:yu 杜:du 叶:ye 程:cheng
苏:su 魏:wei 吕:lv 丁:ding 任:ren 沈:shen 姚:yao 卢:lu 姜:jiang 崔:cui
钟:zhong 谭:tan 陆:lu 汪:wang 范:fan 金:jin 石:shi 廖:liao 贾:jia 夏:xia
韦:wei 付:fu 方:fang 白:bai 邹:zou 孟:meng 熊:xiong 秦:qin 邱:qiu 江:jiang
尹:yin 薛:xue 闫:yan 段:duan 雷:lei 侯:hou 龙:long 史:shi 陶:tao 黎:li
贺:he 顾:gu 毛:mao 郝:hao 龚:gong 邵:shao 万:wan 钱:qian 严:yan 覃:qin
武:wu 戴:dai 莫:mo 孔:kong 向:xiang 汤:tang""".split()]
ZH_GIVEN = [tuple(p.split(":")) for p in """伟:wei 芳:fang 娜:na 秀英:xiuying
敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan 杰:jie
娟:juan 涛:tao 明:ming 超:chao 秀兰:xiulan 霞:xia 平:ping 刚:gang 桂英:guiying
建华:jianhua 文:wen 华:hua 金凤:jinfeng 玉兰:yulan 辉:hui 鑫:xin 婷:ting
建国:jianguo 建军:jianjun 海燕:haiyan 红:hong 萍:ping 玲:ling 晶:jing 斌:bin
宇:yu 浩:hao 凯:kai 健:jian 俊:jun 帆:fan 帅:shuai 旭:xu 宁:ning 龙:long
林:lin 欢:huan 阳:yang 亮:liang 成:cheng 佳:jia 雪:xue 倩:qian 琳:lin
子涵:zihan 梓萱:zixuan 浩然:haoran 一诺:yinuo 欣怡:xinyi 宇轩:yuxuan
雨桐:yutong 思远:siyuan 志强:zhiqiang 晓明:xiaoming 丽娟:lijuan 春梅:chunmei
海涛:haitao 国庆:guoqing 文博:wenbo 嘉怡:jiayi 晨:chen 博文:bowen""".split()]

# (city, first three postcode digits) per country; postcodes are US-style
# five digits or Chinese six digits.
CITIES = [tuple(p.split(":")) for p in """New_York:100 Los_Angeles:900
Chicago:606 Houston:770 Phoenix:850 Philadelphia:191 San_Antonio:782
San_Diego:921 Dallas:752 Austin:787 Jacksonville:322 Columbus:432
Charlotte:282 Seattle:981 Denver:802 Boston:021 Nashville:372 Portland:972
Detroit:482 Memphis:381 Baltimore:212 Milwaukee:532 Albuquerque:871
Tucson:857 Fresno:937 Sacramento:958 Atlanta:303 Omaha:681 Raleigh:276
Miami:331 Minneapolis:554 Tulsa:741 Cleveland:441 Pittsburgh:152
Cincinnati:452 Orlando:328 Buffalo:142 Madison:537 Spokane:992
Springfield:011 Salem:973 Richmond:232 Arlington:222""".split()]
CITIES = [(c.replace("_", " "), p) for c, p in CITIES]
ZH_CITIES = [tuple(p.split(":")) for p in """北京:100 上海:200 广州:510
深圳:518 成都:610 杭州:310 武汉:430 西安:710 南京:210 重庆:400 天津:300
苏州:215 长沙:410 郑州:450 青岛:266 沈阳:110 宁波:315 东莞:523 无锡:214
厦门:361 福州:350 济南:250 合肥:230 昆明:650""".split()]
STREETS = """Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Walnut
Sunset Lincoln Jackson Church River Highland Forest Meadow Willow Spring
Ridge Valley Franklin Madison Chestnut Center Mill Adams Jefferson
Cherry Railroad Dogwood Hickory Birch Jefferson Spruce Lakeview Prospect
Summit Orchard Poplar Laurel Magnolia Union Broad Water Bridge""".split()
SUFFIXES = "St Ave Rd Blvd Ln Dr Ct Way Pl Ter".split()
ZH_DISTRICTS = """朝阳区 海淀区 浦东新区 天河区 南山区 武侯区 西湖区 江汉区 雁塔区
鼓楼区 渝中区 和平区""".split()
ZH_ROADS = """人民路 解放路 中山路 建设路 和平路 新华路 胜利路 文化路 长江路
黄河路 青年路 光明路 幸福路 东风路""".split()
US_AREAS = """212 213 312 713 602 215 210 619 214 512 904 614 704 206 303 617 615
503 313 901 410 414 505 520 559 916 404 402 919 305 612 918 216 412 513 407
716 608 509 413 804 703""".split()
CN_PREFIXES = """130 131 132 133 135 136 137 138 139 150 151 152 155 157 158 159
166 176 177 180 181 186 187 188 189 199""".split()
DOMAINS = """gmail.com yahoo.com outlook.com hotmail.com icloud.com aol.com
proton.me comcast.net""".split()
ZH_DOMAINS = "qq.com 163.com 126.com sina.com gmail.com foxmail.com".split()

LATIN = "abcdefghijklmnopqrstuvwxyz"
HAN_TYPO = "王李张刘陈杨伟芳娜敏静丽强磊军洋明超华文海国建红平林"

FIELDS = ["customer_id", "given_name", "surname", "email", "phone",
          "birth_date", "address", "city", "postcode"]
G, S, E, P, B, A, C, Z = range(1, 9)  # indexes in a row


def zipf_cum(n):
    """Cumulative Zipf-like weights 1/(rank+5) for a list of n items."""
    cum, t = [], 0.0
    for r in range(1, n + 1):
        t += 1.0 / (r + 5)
        cum.append(t)
    return cum


CITY_CUM, ZH_CITY_CUM = zipf_cum(len(CITIES)), zipf_cum(len(ZH_CITIES))


# ---- values ---------------------------------------------------------------------

def fmt_phone(rng, digits, zh, style=None):
    """digits (10 for US, 11 for a Chinese mobile) in a random style."""
    if style is None:
        style = rng.randrange(5)
    d = digits
    if zh:
        return (f"+86 {d[:3]}-{d[3:7]}-{d[7:]}", d, f"(0086){d[:3]} {d[3:7]} {d[7:]}",
                "+86" + d, f"{d[:3]} {d[3:7]} {d[7:]}")[style]
    return (f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}", d, f"{d[:3]}-{d[3:6]}-{d[6:]}",
            f"+1 {d[:3]} {d[3:6]} {d[6:]}", f"1-{d[:3]}-{d[3:6]}-{d[6:]}")[style]


def fmt_date(ymd, style):
    y, m, d = ymd
    return (f"{y}-{m:02d}-{d:02d}", f"{y}/{m:02d}/{d:02d}", f"{y}{m:02d}{d:02d}")[style]


def address(rng, zh):
    """(address, city, postcode) of a random home."""
    if zh:
        city, pc = rng.choices(ZH_CITIES, cum_weights=ZH_CITY_CUM)[0]
        flat = f"{rng.randint(1, 30)}栋{rng.randint(1, 33)}{rng.randint(1, 4):02d}室" \
            if rng.random() < 0.7 else ""
        return (f"{rng.choice(ZH_DISTRICTS)}{rng.choice(ZH_ROADS)}{rng.randint(1, 999)}号{flat}",
                city, f"{pc}{rng.randrange(1000):03d}")
    city, pc = rng.choices(CITIES, cum_weights=CITY_CUM)[0]
    return (f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}",
            city, f"{pc}{rng.randrange(100):02d}")


def typo(rng, s):
    """s with one character inserted, deleted, substituted or transposed."""
    if not s:
        return s
    alpha = HAN_TYPO if ord(s[0]) > 0x2e80 else LATIN
    i = rng.randrange(len(s))
    k = rng.randrange(4)
    if k == 0:
        return s[:i] + rng.choice(alpha) + s[i:]
    if k == 1 and len(s) > 1:
        return s[:i] + s[i + 1:]
    if k == 3 and len(s) > 1:
        i = min(i, len(s) - 2)
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + rng.choice(alpha) + s[i + 1:]


def email_variant(rng, e):
    """The same mailbox written differently: case, or dots in the local part."""
    local, _, dom = e.partition("@")
    k = rng.randrange(3)
    if k == 0:
        return e.upper() if rng.random() < 0.3 else local.capitalize() + "@" + dom
    if k == 1 and "." in local:
        return local.replace(".", "") + "@" + dom
    i = rng.randint(1, max(1, len(local) - 1))
    return local[:i] + "." + local[i:] + "@" + dom


def corrupt(rng, row, ent):
    """Apply one random corruption to the duplicate row (a list)."""
    k = rng.randrange(100)
    if k < 30:                                        # typo
        f = rng.choice((G, G, S, S, E, A, C))
        row[f] = typo(rng, row[f])
    elif k < 38:                                      # swapped names
        row[G], row[S] = row[S], row[G]
    elif k < 55:                                      # missing value
        row[rng.choice((G, S, E, E, P, P, B, A, C, Z))] = ""
    elif k < 70:                                      # phone reformatted
        if row[P]:
            row[P] = fmt_phone(rng, ent[2], ent[0], (ent[3] + rng.randint(1, 4)) % 5)
    elif k < 80:                                      # date reformatted
        if row[B]:
            row[B] = fmt_date(ent[1], (ent[4] + rng.randint(1, 2)) % 3)
    elif k < 90:                                      # moved
        row[A], row[C], row[Z] = address(rng, ent[0])
    elif row[E]:                                      # email case or dots
        row[E] = email_variant(rng, row[E])


# ---- contacts that several persons share ---------------------------------------

# Shares of the entities (persons), see the module's comment.
HOUSEHOLD_SHARE = 0.25          # live with another customer
HOUSEHOLD_SIZES = ((2, 3, 4), (60, 25, 15))
SAME_SURNAME = (0.85, 0.7)      # a member has the head's surname (en, zh)
LANDLINE, USE_LANDLINE = 0.5, 0.6
HOUSE_EMAIL, USE_HOUSE_EMAIL = 0.3, 0.6
JUNIOR, TWINS = 0.04, 0.03
OFFICE_SHARE, OFFICE_SIZE = 0.04, 10
RECYCLED_SHARE = 0.02
ZH_AREAS = "010 021 020 0755 028 0571 027 029 025 023 022 0512".split()


def landline(rng, zh):
    """The digits of a fixed line: a Chinese area code and 8 digits, or a
    US number."""
    if zh:
        return rng.choice(ZH_AREAS) + f"{rng.randrange(2, 10)}{rng.randrange(10 ** 7):07d}"
    return rng.choice(US_AREAS) + str(rng.randrange(2, 10)) + f"{rng.randrange(10 ** 6):06d}"


class Sharing:
    """Who shares a phone or an e-mail with whom.  Drawn from a random
    stream of its own (rng), so that the persons themselves (names,
    personal numbers and mailboxes, duplicates and their corruptions) are
    drawn as without sharing, and --no-shared writes exactly the data of
    the generator before sharing was added."""

    def __init__(self, rng, zh):
        self.rng = rng
        n = len(zh)
        self.house = [None] * n           # entity -> its household (a dict)
        self.role = [0] * n               # 0 head, 1.. the other members
        self.office = [None] * n          # entity -> (zh, office number index)
        self.recycled = [None] * n        # entity -> earlier entity (donor)
        self.taken = set()                # every shared number and e-mail
        for z in (False, True):
            ids = [e for e in range(n) if zh[e] == z]
            rng.shuffle(ids)
            k = int(len(ids) * HOUSEHOLD_SHARE)
            j = 0
            while j < k:
                size = rng.choices(*HOUSEHOLD_SIZES)[0]
                members = sorted(ids[j:j + size])
                j += size
                if len(members) < 2:
                    break
                h = {"zh": z, "members": members,
                     "landline": rng.random() < LANDLINE,
                     "email": rng.random() < HOUSE_EMAIL,
                     "junior": not z and rng.random() < JUNIOR,
                     "twins": len(members) >= 3 and rng.random() < TWINS}
                for r, e in enumerate(members):
                    self.house[e], self.role[e] = h, r
            # Offices: some persons give their employer's switchboard; a
            # few employers are big (Zipf-like sizes).
            rest = ids[j:]
            n_off = int(len(rest) * OFFICE_SHARE)
            n_firms = max(1, n_off // OFFICE_SIZE)
            firms = rng.choices(range(n_firms), cum_weights=zipf_cum(n_firms), k=n_off)
            for e, f in zip(rest[:n_off], firms):
                self.office[e] = (z, f)
            # Recycled numbers: a person whose number was someone else's.
            for e in rest[n_off:n_off + int(len(rest) * RECYCLED_SHARE)]:
                earlier = [d for d in (rng.choice(ids) for _ in range(4)) if d < e]
                if earlier:
                    self.recycled[e] = earlier[0]
        self.offices = {}

    def new_number(self, zh, phones):
        while True:
            d = landline(self.rng, zh)
            if d not in phones and d not in self.taken:
                self.taken.add(d)
                return d

    def new_email(self, locals_, doms, emails):
        # Numbers 1 to 99, as families choose; past 50 tries (millions of
        # customers use up a common surname's) ten times as many each 50,
        # so the loop ends at any N and smaller runs draw as before.
        top, tries = 100, 0
        while True:
            e = f"{self.rng.choice(locals_)}{self.rng.randrange(1, top)}@{self.rng.choice(doms)}"
            if e not in emails and e not in self.taken:
                self.taken.add(e)
                return e
            tries += 1
            if tries % 50 == 0:
                top *= 10

    def names(self, e, given, surname):
        """The given name and surname of entity e, each a pair (as
        written, in Latin letters): a member of a household may take the
        head's surname, a junior the head's given name too."""
        h = self.house[e]
        if h is None:
            return given, surname
        if self.role[e] == 0:
            h["names"] = (given, surname)
        elif h["junior"] and self.role[e] == 1:
            given, surname = h["names"]
        elif self.rng.random() < SAME_SURNAME[h["zh"]]:
            surname = h["names"][1]
        return given, surname

    def birth(self, e, ymd):
        """The birth date of entity e: a junior's is 20 to 35 years after
        the head's, a twin's another member's."""
        h = self.house[e]
        if h is None:
            return ymd
        r = self.role[e]
        if r == 0:
            h["ymd"] = [ymd]
            return ymd
        if h["junior"] and r == 1:
            ymd = (min(2006, h["ymd"][0][0] + self.rng.randint(20, 35)), ymd[1], ymd[2])
        if h["twins"] and r == 2:
            ymd = h["ymd"][1]
        h["ymd"].append(ymd)
        return ymd

    def contacts(self, e, digits, email, home, personal, phones, emails):
        """The phone digits, e-mail and (address, city, postcode) entity e
        gives: its own, or those it shares.  personal[d] is entity d's own
        number."""
        h, rng = self.house[e], self.rng
        if h is not None:
            z = h["zh"]
            if self.role[e] == 0:
                h["home"] = home
                if h["landline"]:
                    h["phone"] = self.new_number(z, phones)
                if h["email"]:
                    sp = h["names"][1][1].lower()
                    locals_ = ((f"{sp}jia", f"{sp}home", f"{sp}family") if z else
                               (f"the{sp}s", f"{sp}family", f"{sp}home", f"{sp}house"))
                    h["mail"] = self.new_email(locals_, ZH_DOMAINS if z else DOMAINS, emails)
            home = h["home"]
            if h["landline"] and rng.random() < USE_LANDLINE:
                digits = h["phone"]
            if h["email"] and rng.random() < USE_HOUSE_EMAIL:
                email = h["mail"]
        elif self.office[e] is not None:
            if self.office[e] not in self.offices:
                self.offices[self.office[e]] = self.new_number(self.office[e][0], phones)
            digits = self.offices[self.office[e]]
        elif self.recycled[e] is not None:
            digits = personal[self.recycled[e]]
        return digits, email, home


# ---- main -------------------------------------------------------------------------

def generate(n, seed, dup_rate, shared, out, truth_path):
    """Write the n rows to out and the truth to truth_path."""
    rng = random.Random(seed)

    n_dup = int(n * dup_rate)
    n_ent = n - n_dup
    # Duplicates per entity: 1 (70%), 2 (20%), 3 (10%), to entities drawn
    # at random until n_dup rows are assigned.
    dups = [0] * n_ent
    order = rng.sample(range(n_ent), n_ent)
    left, j = n_dup, 0
    while left > 0:
        k = min(left, rng.choices((1, 2, 3), (70, 20, 10))[0])
        dups[order[j]] = k
        left -= k
        j += 1

    zh = [rng.random() < 0.1 for _ in range(n_ent)]
    n_zh = sum(zh)
    en_given = iter(rng.choices(GIVEN, cum_weights=zipf_cum(len(GIVEN)), k=n_ent - n_zh))
    en_sur = iter(rng.choices(SURNAMES, cum_weights=zipf_cum(len(SURNAMES)), k=n_ent - n_zh))
    zh_given = iter(rng.choices(ZH_GIVEN, cum_weights=zipf_cum(len(ZH_GIVEN)), k=n_zh))
    zh_sur = iter(rng.choices(ZH_SURNAMES, cum_weights=zipf_cum(len(ZH_SURNAMES)), k=n_zh))
    ncorr = (1, 2, 2, 2, 2, 3, 3, 3, 3, 4)            # mean 2.5
    # A stream of its own for the sharing (see Sharing).
    sh = Sharing(random.Random(f"gen-dedupe shared {seed}"), zh) if shared else None

    rows, ents, emails, phones, personal = [], [], set(), {None}, []
    for e in range(n_ent):
        z = zh[e]
        if z:
            (g, gp), (s, sp) = next(zh_given), next(zh_sur)
            if sh is not None:
                (g, gp), (s, sp) = sh.names(e, (g, gp), (s, sp))
            digits = None
            while digits in phones:
                digits = rng.choice(CN_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
            local = (f"{sp}{gp}", f"{gp}.{sp}", f"{sp}.{gp}")[rng.randrange(3)]
            dom = rng.choice(ZH_DOMAINS)
        else:
            g, s = next(en_given), next(en_sur)
            if sh is not None:
                (g, _), (s, _) = sh.names(e, (g, g), (s, s))
            digits = None
            while digits in phones:
                digits = (rng.choice(US_AREAS) + str(rng.randrange(2, 10))
                          + f"{rng.randrange(10 ** 6):06d}")
            local = (f"{g}.{s}", f"{g[0]}{s}", f"{g}{s}", f"{g}_{s}")[rng.randrange(4)].lower()
            dom = rng.choice(DOMAINS)
        if rng.random() < 0.7:
            local += str(rng.randrange(1, 1000))
        while f"{local}@{dom}" in emails:             # one mailbox, one person
            local += str(rng.randrange(10))
        emails.add(f"{local}@{dom}")
        phones.add(digits)
        personal.append(digits)
        ymd = (rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28))
        pstyle, dstyle = rng.randrange(5), (0, 0, 0, 0, 1, 2)[rng.randrange(6)]
        email = f"{local}@{dom}"
        home = address(rng, z)
        if sh is not None:
            # The number and mailbox above stay this person's own (what a
            # recycled number is taken from); the row may give shared ones.
            ymd = sh.birth(e, ymd)
            digits, email, home = sh.contacts(e, digits, email, home, personal,
                                              phones, emails)
        ent = (z, ymd, digits, pstyle, dstyle)
        row = ["", g, s, email, fmt_phone(rng, digits, z, pstyle),
               fmt_date(ymd, dstyle), *home]
        rows.append(row)
        ents.append(e)
        for _ in range(dups[e]):
            d = row.copy()
            for _ in range(rng.choice(ncorr)):
                corrupt(rng, d, ent)
            rows.append(d)
            ents.append(e)

    # Shuffle, then number: ids are random 10-digit numbers, unique.
    perm = rng.sample(range(n), n)
    ids = rng.sample(range(10 ** 9, 10 ** 10), n)
    with open(out, "w", newline="", encoding="utf-8") as f, \
            open(truth_path, "w", newline="", encoding="utf-8") as t:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(FIELDS)
        t.write("customer_id,entity_id\n")
        out_rows, truth = [], []
        for i, p in enumerate(perm):
            row = rows[p]
            row[0] = cid = f"C{ids[i]}"
            out_rows.append(row)
            truth.append(f"{cid},E{ents[p]}\n")
        w.writerows(out_rows)
        t.writelines(truth)
    return n_ent, n_dup


# ---- self-test -------------------------------------------------------------------

def phone_key(p):
    """A phone as digits without the country code (+1, +86, 0086)."""
    d = re.sub(r"\D", "", p)
    if d.startswith("0086"):
        return d[4:]
    if d.startswith("86") and len(d) >= 12:
        return d[2:]
    if len(d) == 11 and d.startswith("1"):
        return d[1:]
    return d


def email_key(e):
    """An e-mail without case and without dots in its local part."""
    local, _, dom = e.lower().partition("@")
    return local.replace(".", "") + "@" + dom


def sharing_of(path, truth_path):
    """For phone and e-mail: the values that several entities give, as
    {value: set of entities}; and the entities of the file."""
    with open(truth_path, encoding="utf-8") as f:
        truth = dict(line.rstrip("\n").split(",") for line in list(f)[1:])
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for field, key in (("phone", phone_key), ("email", email_key)):
        by = defaultdict(set)
        for r in rows:
            if r[field]:
                by[key(r[field])].add(truth[r["customer_id"]])
        out[field] = {v: e for v, e in by.items() if len(e) > 1}
    homes = defaultdict(set)
    for r in rows:
        homes[phone_key(r["phone"]), r["address"]].add(truth[r["customer_id"]])
    out["household"] = {k: e for k, e in homes.items() if k[0] and len(e) > 1}
    return out, rows, truth


def self_test():
    """Determinism, --no-shared and the sharing, on small files; exit 1 on
    a failure.  One line per case: "ok CASE: ..." or "FAIL CASE: ..."."""
    n, bad = 4000, 0

    def case(name, ok, detail):
        nonlocal bad
        bad += not ok
        print(f"{'ok' if ok else 'FAIL'} {name}: {detail}")

    with tempfile.TemporaryDirectory() as d:
        def gen(tag, seed, shared):
            out, truth = os.path.join(d, tag + ".csv"), os.path.join(d, tag + ".truth")
            generate(n, seed, 0.2, shared, out, truth)
            with open(out, "rb") as f, open(truth, "rb") as t:
                return out, truth, f.read() + t.read()

        a, ta, bytes_a = gen("a", 7, True)
        bytes_b = gen("b", 7, True)[2]
        bytes_c = gen("c", 8, True)[2]
        ns, tns, bytes_ns = gen("ns", 7, False)
        case("deterministic", bytes_a == bytes_b, "seed 7 twice, the same bytes")
        case("seeded", bytes_a != bytes_c, "seed 8 writes other data")
        sh, rows, truth = sharing_of(a, ta)
        case("rows and entities", len(rows) == n and len(set(truth.values())) == n - n // 5
             and set(truth) == {r["customer_id"] for r in rows},
             f"{len(rows)} rows, {len(set(truth.values()))} entities in the truth")
        big = max((len(e) for e in sh["phone"].values()), default=0)
        case("shared phones", len(sh["phone"]) >= n // 100 and big >= 4,
             f"{len(sh['phone'])} numbers given by two or more persons, "
             f"the most by {big}")
        case("shared e-mails", len(sh["email"]) >= n // 400,
             f"{len(sh['email'])} mailboxes given by two or more persons")
        case("households", len(sh["household"]) >= n // 200,
             f"{len(sh['household'])} phone and address pairs of two or more persons")
        nsh, _, ntruth = sharing_of(ns, tns)
        case("--no-shared", not nsh["phone"] and not nsh["household"],
             f"{len(nsh['phone'])} numbers given by two or more persons")
        # The sharing draws from a stream of its own: the same entities
        # have the same number of rows with it and without.
        same = sorted(Counter(truth.values()).items()) == sorted(Counter(ntruth.values()).items())
        case("same entities", same and bytes_ns != bytes_a,
             "with and without sharing, rows per entity alike")
    sys.exit(1 if bad else 0)


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1000000, help="rows (default 1000000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-rate", type=float, default=0.2)
    ap.add_argument("--no-shared", action="store_true",
                    help="every person has a phone and an e-mail of its own "
                    "(the data of the generator before sharing)")
    ap.add_argument("out")
    ap.add_argument("truth")
    a = ap.parse_args()
    if a.n < 1 or not 0 <= a.dup_rate < 0.5:
        ap.error("need N >= 1 and 0 <= R < 0.5")
    n_ent, n_dup = generate(a.n, a.seed, a.dup_rate, not a.no_shared, a.out, a.truth)
    print(f"gen-dedupe: {a.n} rows, {n_ent} entities, {n_dup} duplicates "
          f"(seed {a.seed}{', no shared contacts' if a.no_shared else ''})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
