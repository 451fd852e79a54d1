//! The Unicode and TLD tables the scanners use: `Extended_Pictographic`, text-default emoji
//! and emoji modifier bases (Unicode 14), and twitter-text's TLD list.

/// `Extended_Pictographic` (Unicode 14 emoji-data.txt; stable: it reserves whole blocks).
#[rustfmt::skip]
pub(super) const EXTENDED_PICTOGRAPHIC: &[(u32, u32)] = &[
    (0xA9, 0xA9), (0xAE, 0xAE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328),
    (0x2388, 0x2388), (0x23CF, 0x23CF), (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2),
    (0x25AA, 0x25AB), (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712), (0x2714, 0x2714),
    (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721), (0x2728, 0x2728), (0x2733, 0x2734),
    (0x2744, 0x2744), (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755),
    (0x2757, 0x2757), (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
    (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F), (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171),
    (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5),
    (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A),
    (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA), (0x1F400, 0x1F53D), (0x1F546, 0x1F64F),
    (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F), (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF),
    (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
];

/// Emoji with text presentation by default (`Emoji` and not `Emoji_Presentation`, Unicode 14):
/// U+FE0F after them is part of the emoji.
#[rustfmt::skip]
pub(super) const TEXT_DEFAULT: &[(u32, u32)] = &[
    (0xA9, 0xA9), (0xAE, 0xAE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x2328, 0x2328), (0x23CF, 0x23CF),
    (0x23ED, 0x23EF), (0x23F1, 0x23F2), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
    (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FC), (0x2600, 0x2604), (0x260E, 0x260E),
    (0x2611, 0x2611), (0x2618, 0x2618), (0x261D, 0x261D), (0x2620, 0x2620), (0x2622, 0x2623),
    (0x2626, 0x2626), (0x262A, 0x262A), (0x262E, 0x262F), (0x2638, 0x263A), (0x2640, 0x2640),
    (0x2642, 0x2642), (0x265F, 0x2660), (0x2663, 0x2663), (0x2665, 0x2666), (0x2668, 0x2668),
    (0x267B, 0x267B), (0x267E, 0x267E), (0x2692, 0x2692), (0x2694, 0x2697), (0x2699, 0x2699),
    (0x269B, 0x269C), (0x26A0, 0x26A0), (0x26A7, 0x26A7), (0x26B0, 0x26B1), (0x26C8, 0x26C8),
    (0x26CF, 0x26CF), (0x26D1, 0x26D1), (0x26D3, 0x26D3), (0x26E9, 0x26E9), (0x26F0, 0x26F1),
    (0x26F4, 0x26F4), (0x26F7, 0x26F9), (0x2702, 0x2702), (0x2708, 0x2709), (0x270C, 0x270D),
    (0x270F, 0x270F), (0x2712, 0x2712), (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D),
    (0x2721, 0x2721), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747), (0x2763, 0x2764),
    (0x27A1, 0x27A1), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F170, 0x1F171), (0x1F17E, 0x1F17F),
    (0x1F202, 0x1F202), (0x1F237, 0x1F237), (0x1F321, 0x1F321), (0x1F324, 0x1F32C),
    (0x1F336, 0x1F336), (0x1F37D, 0x1F37D), (0x1F396, 0x1F397), (0x1F399, 0x1F39B),
    (0x1F39E, 0x1F39F), (0x1F3CB, 0x1F3CE), (0x1F3D4, 0x1F3DF), (0x1F3F3, 0x1F3F3),
    (0x1F3F5, 0x1F3F5), (0x1F3F7, 0x1F3F7), (0x1F43F, 0x1F43F), (0x1F441, 0x1F441),
    (0x1F4FD, 0x1F4FD), (0x1F549, 0x1F54A), (0x1F56F, 0x1F570), (0x1F573, 0x1F579),
    (0x1F587, 0x1F587), (0x1F58A, 0x1F58D), (0x1F590, 0x1F590), (0x1F5A5, 0x1F5A5),
    (0x1F5A8, 0x1F5A8), (0x1F5B1, 0x1F5B2), (0x1F5BC, 0x1F5BC), (0x1F5C2, 0x1F5C4),
    (0x1F5D1, 0x1F5D3), (0x1F5DC, 0x1F5DE), (0x1F5E1, 0x1F5E1), (0x1F5E3, 0x1F5E3),
    (0x1F5E8, 0x1F5E8), (0x1F5EF, 0x1F5EF), (0x1F5F3, 0x1F5F3), (0x1F5FA, 0x1F5FA),
    (0x1F6CB, 0x1F6CB), (0x1F6CD, 0x1F6CF), (0x1F6E0, 0x1F6E5), (0x1F6E9, 0x1F6E9),
    (0x1F6F0, 0x1F6F0), (0x1F6F3, 0x1F6F3),
];

/// `Emoji_Modifier_Base` (Unicode 14, plus U+1FAF7–U+1FAF8 of Unicode 15).
#[rustfmt::skip]
pub(super) const MODIFIER_BASE: &[(u32, u32)] = &[
    (0x261D, 0x261D), (0x26F9, 0x26F9), (0x270A, 0x270D), (0x1F385, 0x1F385),
    (0x1F3C2, 0x1F3C4), (0x1F3C7, 0x1F3C7), (0x1F3CA, 0x1F3CC), (0x1F442, 0x1F443),
    (0x1F446, 0x1F450), (0x1F466, 0x1F478), (0x1F47C, 0x1F47C), (0x1F481, 0x1F483),
    (0x1F485, 0x1F487), (0x1F48F, 0x1F48F), (0x1F491, 0x1F491), (0x1F4AA, 0x1F4AA),
    (0x1F574, 0x1F575), (0x1F57A, 0x1F57A), (0x1F590, 0x1F590), (0x1F595, 0x1F596),
    (0x1F645, 0x1F647), (0x1F64B, 0x1F64F), (0x1F6A3, 0x1F6A3), (0x1F6B4, 0x1F6B6),
    (0x1F6C0, 0x1F6C0), (0x1F6CC, 0x1F6CC), (0x1F90C, 0x1F90C), (0x1F90F, 0x1F90F),
    (0x1F918, 0x1F91F), (0x1F926, 0x1F926), (0x1F930, 0x1F939), (0x1F93C, 0x1F93E),
    (0x1F977, 0x1F977), (0x1F9B5, 0x1F9B6), (0x1F9B8, 0x1F9B9), (0x1F9BB, 0x1F9BB),
    (0x1F9CD, 0x1F9CF), (0x1F9D1, 0x1F9DD), (0x1FAC3, 0x1FAC5), (0x1FAF0, 0x1FAF8),
];

/// The TLDs twitter-text recognises (generic and country code, ASCII and IDN; `xn--` forms are
/// covered by `validPunycode`), lower case, separated by spaces.
pub(super) const TLDS: &str = "\
    aaa aarp abarth abb abbott abbvie abc able abogado abudhabi ac academy accenture \
    accountant accountants aco active actor ad adac ads adult ae aeg aero aetna af \
    afamilycompany afl africa ag agakhan agency ai aig aigo airbus airforce airtel akdn al \
    alfaromeo alibaba alipay allfinanz allstate ally alsace alstom am amazon americanexpress \
    americanfamily amex amfam amica amsterdam an analytics android anquan anz ao aol \
    apartments app apple aq aquarelle ar arab aramco archi army arpa art arte as asda asia \
    associates at athleta attorney au auction audi audible audio auspost author auto autos \
    avianca aw aws ax axa az azure ba baby baidu banamex bananarepublic band bank bar \
    barcelona barclaycard barclays barefoot bargains baseball basketball bauhaus bayern bb \
    bbc bbt bbva bcg bcn bd be beats beauty beer bentley berlin best bestbuy bet bf bg bh \
    bharti bi bible bid bike bing bingo bio biz bj bl black blackfriday blanco blockbuster \
    blog bloomberg blue bm bms bmw bn bnl bnpparibas bo boats boehringer bofa bom bond boo \
    book booking boots bosch bostik boston bot boutique box bq br bradesco bridgestone \
    broadway broker brother brussels bs bt budapest bugatti build builders business buy buzz \
    bv bw by bz bzh ca cab cafe cal call calvinklein cam camera camp cancerresearch canon \
    capetown capital capitalone car caravan cards care career careers cars cartier casa case \
    caseih cash casino cat catering catholic cba cbn cbre cbs cc cd ceb center ceo cern cf \
    cfa cfd cg ch chanel channel charity chase chat cheap chintai chloe christmas chrome \
    chrysler church ci cipriani circle cisco citadel citi citic city cityeats ck cl claims \
    cleaning click clinic clinique clothing cloud club clubmed cm cn co coach codes coffee \
    college cologne com comcast commbank community company compare computer comsec condos \
    construction consulting contact contractors cooking cookingchannel cool coop corsica \
    country coupon coupons courses cpa cr credit creditcard creditunion cricket crown crs \
    cruise cruises csc cu cuisinella cv cw cx cy cymru cyou cz dabur dad dance data date \
    dating datsun day dclk dds de deal dealer deals degree delivery dell deloitte delta \
    democrat dental dentist desi design dev dhl diamonds diet digital direct directory \
    discount discover dish diy dj dk dm dnp do docs doctor dodge dog doha domains doosan dot \
    download drive dtv dubai duck dunlop duns dupont durban dvag dvr dz earth eat ec eco \
    edeka edu education ee eg eh email emerck energy engineer engineering enterprises epost \
    epson equipment er ericsson erni es esq estate esurance et etisalat eu eurovision eus \
    events everbank exchange expert exposed express extraspace fage fail fairwinds faith \
    family fan fans farm farmers fashion fast fedex feedback ferrari ferrero fi fiat fidelity \
    fido film final finance financial fire firestone firmdale fish fishing fit fitness fj fk \
    flickr flights flir florist flowers flsmidth fly fm fo foo food foodnetwork football ford \
    forex forsale forum foundation fox fr free fresenius frl frogans frontdoor frontier ftr \
    fujitsu fujixerox fun fund furniture futbol fyi ga gal gallery gallo gallup game games \
    gap garden gay gb gbiz gd gdn ge gea gent genting george gf gg ggee gh gi gift gifts \
    gives giving gl glade glass gle global globo gm gmail gmbh gmo gmx gn godaddy gold \
    goldpoint golf goo goodhands goodyear goog google gop got gov gp gq gr grainger graphics \
    gratis green gripe grocery group gs gt gu guardian gucci guge guide guitars guru gw gy \
    hair hamburg hangout haus hbo hdfc hdfcbank health healthcare help helsinki here hermes \
    hgtv hiphop hisamitsu hitachi hiv hk hkt hm hn hockey holdings holiday homedepot \
    homegoods homes homesense honda honeywell horse hospital host hosting hot hoteles hotels \
    hotmail house how hr hsbc ht htc hu hughes hyatt hyundai ibm icbc ice icu id ie ieee ifm \
    iinet ikano il im imamat imdb immo immobilien in inc industries infiniti info ing ink \
    institute insurance insure int intel international intuit investments io ipiranga iq ir \
    irish is iselect ismaili ist istanbul it itau itv iveco iwc jaguar java jcb jcp je jeep \
    jetzt jewelry jio jlc jll jm jmp jnj jo jobs joburg jot joy jp jpmorgan jprs juegos \
    juniper kaufen kddi ke kerryhotels kerrylogistics kerryproperties kfh kg kh ki kia kids \
    kim kinder kindle kitchen kiwi km kn koeln komatsu kosher kp kpmg kpn kr krd kred \
    kuokgroup kw ky kyoto kz la lacaixa ladbrokes lamborghini lamer lancaster lancia lancome \
    land landrover lanxess lasalle lat latino latrobe law lawyer lb lc lds lease leclerc \
    lefrak legal lego lexus lgbt li liaison lidl life lifeinsurance lifestyle lighting like \
    lilly limited limo lincoln linde link lipsy live living lixil lk llc llp loan loans \
    locker locus loft lol london lotte lotto love lpl lplfinancial lr ls lt ltd ltda lu \
    lundbeck lupin luxe luxury lv ly ma macys madrid maif maison makeup man management mango \
    map market marketing markets marriott marshalls maserati mattel mba mc mcd mcdonalds \
    mckinsey md me med media meet melbourne meme memorial men menu meo merck merckmsd metlife \
    mf mg mh miami microsoft mil mini mint mit mitsubishi mk ml mlb mls mm mma mn mo mobi \
    mobile mobily moda moe moi mom monash money monster montblanc mopar mormon mortgage \
    moscow moto motorcycles mov movie movistar mp mq mr ms msd mt mtn mtpc mtr mu museum \
    music mutual mutuelle mv mw mx my mz na nab nadex nagoya name nationwide natura navy nba \
    nc ne nec net netbank netflix network neustar new newholland news next nextdirect nexus \
    nf nfl ng ngo nhk ni nico nike nikon ninja nissan nissay nl no nokia northwesternmutual \
    norton now nowruz nowtv np nr nra nrw ntt nu nyc nz obi observer off office okinawa \
    olayan olayangroup oldnavy ollo om omega one ong onion onl online onyourside ooo open \
    oracle orange org organic orientexpress origins osaka otsuka ott ovh pa page pamperedchef \
    panasonic panerai paris pars partners parts party passagens pay pccw pe pet pf pfizer pg \
    ph pharmacy phd philips phone photo photography photos physio piaget pics pictet pictures \
    pid pin ping pink pioneer pizza pk pl place play playstation plumbing plus pm pn pnc pohl \
    poker politie porn post pr pramerica praxi press prime pro prod productions prof \
    progressive promo properties property protection pru prudential ps pt pub pw pwc py qa \
    qpon quebec quest qvc racing radio raid re read realestate realtor realty recipes red \
    redstone redumbrella rehab reise reisen reit reliance ren rent rentals repair report \
    republican rest restaurant review reviews rexroth rich richardli ricoh rightathome ril \
    rio rip rmit ro rocher rocks rodeo rogers room rs rsvp ru rugby ruhr run rw rwe ryukyu sa \
    saarland safe safety sakura sale salon samsclub samsung sandvik sandvikcoromant sanofi \
    sap sapo sarl sas save saxo sb sbi sbs sc sca scb schaeffler schmidt scholarships school \
    schule schwarz science scjohnson scor scot sd se search seat secure security seek select \
    sener services ses seven sew sex sexy sfr sg sh shangrila sharp shaw shell shia shiksha \
    shoes shop shopping shouji show showtime shriram si silk sina singles site sj sk ski skin \
    sky skype sl sling sm smart smile sn sncf so soccer social softbank software sohu solar \
    solutions song sony soy spa space spiegel sport spot spreadbetting sr srl srt ss st stada \
    staples star starhub statebank statefarm statoil stc stcgroup stockholm storage store \
    stream studio study style su sucks supplies supply support surf surgery suzuki sv swatch \
    swiftcover swiss sx sy sydney symantec systems sz tab taipei talk taobao target \
    tatamotors tatar tattoo tax taxi tc tci td tdk team tech technology tel telecity \
    telefonica temasek tennis teva tf tg th thd theater theatre tiaa tickets tienda tiffany \
    tips tires tirol tj tjmaxx tjx tk tkmaxx tl tm tmall tn to today tokyo tools top toray \
    toshiba total tours town toyota toys tp tr trade trading training travel travelchannel \
    travelers travelersinsurance trust trv tt tube tui tunes tushu tv tvs tw tz ua ubank ubs \
    uconnect ug uk um unicom university uno uol ups us uy uz va vacations vana vanguard vc ve \
    vegas ventures verisign vermögensberater vermögensberatung versicherung vet vg vi viajes \
    video vig viking villas vin vip virgin visa vision vista vistaprint viva vivo vlaanderen \
    vn vodka volkswagen volvo vote voting voto voyage vu vuelos wales walmart walter wang \
    wanggou warman watch watches weather weatherchannel web webcam weber website wed wedding \
    weibo weir wf whoswho wien wiki williamhill win windows wine winners wme wolterskluwer \
    woodside work works world wow ws wtc wtf xbox xerox xfinity xihuan xin xperia xxx xyz \
    yachts yahoo yamaxun yandex ye yodobashi yoga yokohama you youtube yt yun za zappos zara \
    zero zip zippo zm zone zuerich zw ελ ευ бг бел дети ею католик ком мкд мон москва онлайн \
    орг рус рф сайт срб укр қаз հայ ישראל קום ابوظبي اتصالات ارامكو الاردن البحرين الجزائر \
    السعودية العليان المغرب امارات ایران بارت بازار بيتك بھارت تونس سودان سورية شبكة عراق عرب \
    عمان فلسطين قطر كاثوليك كوم مصر مليسيا موبايلي موريتانيا موقع همراه پاکستان ڀارت कॉम नेट \
    भारत भारतम् भारोत संगठन বাংলা ভারত ভাৰত ਭਾਰਤ ભારત ଭାରତ இந்தியா இலங்கை சிங்கப்பூர் భారత్ \
    ಭಾರತ ഭാരതം ලංකා คอม ไทย ລາວ გე みんな アマゾン クラウド グーグル コム ストア セール ファッション ポイント 世界 中信 中国 中國 中文网 \
    亚马逊 企业 佛山 信息 健康 八卦 公司 公益 台湾 台灣 商城 商店 商标 嘉里 嘉里大酒店 在线 大众汽车 大拿 天主教 娱乐 家電 工行 广东 微博 慈善 我爱你 手机 \
    手表 招聘 政务 政府 新加坡 新闻 时尚 書籍 机构 淡马锡 游戏 澳門 点看 珠宝 移动 组织机构 网址 网店 网站 网络 联通 诺基亚 谷歌 购物 通販 集团 電訊盈科 \
    飞利浦 食品 餐厅 香格里拉 香港 닷넷 닷컴 삼성 한국";
