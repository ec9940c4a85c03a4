"""Hand-kept name tables: romanized names of scripts Faker does not romanize, and their variants.

Each entry maps a canonical romanization to the other spellings agencies record for the same name
(Mohammed / Muhammad / Mohamed). Variants are drawn per record, as different agencies transliterate
independently.
"""

from __future__ import annotations

ARABIC_GIVEN_MALE = {
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad", "Muhammed"), "Ahmed": ("Ahmad",),
    "Mahmoud": ("Mahmud",), "Mustafa": ("Mostafa", "Moustafa"), "Hussein": ("Husain", "Hussain"),
    "Ali": ("Aly",), "Omar": ("Umar",), "Yusuf": ("Youssef", "Yousef"), "Ibrahim": ("Ebrahim",),
    "Abdullah": ("Abdallah",), "Khaled": ("Khalid",), "Hassan": ("Hasan",), "Tariq": ("Tarek", "Tarik"),
    "Samir": ("Sameer",), "Karim": ("Kareem",), "Walid": ("Waleed",), "Jamal": ("Gamal",),
    "Osama": ("Usama",), "Rashid": ("Rasheed",), "Nasser": ("Nasir",), "Saleh": ("Salih",),
    "Faisal": ("Faysal",), "Majid": ("Majed", "Maged"), "Adel": ("Adil",), "Hamza": ("Hamzah",),
}
ARABIC_GIVEN_FEMALE = {
    "Fatima": ("Fatma", "Fatimah"), "Aisha": ("Aysha", "Aicha"), "Mariam": ("Maryam", "Miriam"),
    "Noor": ("Nour", "Nur"), "Layla": ("Leila", "Laila"), "Zainab": ("Zaynab", "Zeinab"),
    "Amira": ("Ameera",), "Huda": ("Hoda",), "Salma": ("Selma",), "Rania": ("Ranya",),
    "Yasmin": ("Yasmine", "Jasmin"), "Khadija": ("Khadijah",), "Hana": ("Hanaa",),
    "Samira": ("Sameera",), "Dina": ("Deena",), "Reem": ("Rim",), "Lina": ("Leena",),
}
ARABIC_FAMILY = {
    "Al-Masri": ("Almasri", "El-Masry", "Elmasri"), "Haddad": ("Hadad",), "Khalil": ("Khaleel",),
    "Hussein": ("Husain", "Hussain"), "Abdullah": ("Abdallah",), "Ibrahim": ("Ebrahim",),
    "Mansour": ("Mansur",), "Saleh": ("Salih",), "Nasser": ("Nasir",), "Hamdan": ("Hamdane",),
    "Aziz": ("Azeez",), "Farouk": ("Faruk", "Farooq"), "Qasim": ("Kassem", "Qassim", "Kasim"),
    "Youssef": ("Yousef", "Yusuf"), "Abbas": ("Abas",), "Darwish": ("Darwich",),
    "Suleiman": ("Sulaiman", "Soliman"), "Othman": ("Osman", "Uthman"), "Rahman": ("Rehman",),
    "Shaikh": ("Sheikh", "Shaykh"), "Jaber": ("Jabir",), "Najjar": ("Nagar",), "Zaki": ("Zaky",),
    "Awad": ("Awwad",), "Said": ("Saeed", "Sayed"), "Al-Tamimi": ("Altamimi", "El-Tamimi"),
    "Al-Hashimi": ("Alhashimi", "El-Hashemi"), "Khoury": ("Khouri", "Khuri"), "Bakr": ("Bakar",),
}
PERSIAN_GIVEN_MALE = {
    "Mohammad": ("Mohammed", "Muhammad", "Mohamad"), "Ahmad": ("Ahmed",), "Hossein": ("Hussein", "Husain"),
    "Reza": ("Rezah",), "Mehdi": ("Mahdi",), "Hamid": ("Hameed",), "Farid": ("Fareed",),
    "Javad": ("Jawad",), "Abdul": ("Abdol", "Abdel"), "Habibullah": ("Habibollah",),
    "Rahmatullah": ("Rahmatollah",), "Najibullah": ("Najibollah",), "Zabihullah": ("Zabiullah",),
    "Sayed": ("Said", "Sayyid"), "Wahid": ("Waheed",), "Masoud": ("Masood", "Mas'ud"),
    "Mostafa": ("Mustafa",), "Amir": ("Ameer",), "Karim": ("Kareem",),
}
PERSIAN_GIVEN_FEMALE = {
    "Nasrin": ("Nasreen",), "Zahra": ("Zahrah",), "Maryam": ("Mariam",), "Fatemeh": ("Fatima", "Fatemah"),
    "Parisa": ("Pareesa",), "Shirin": ("Shireen",), "Sima": ("Seema",), "Farzana": ("Farzaneh",),
    "Gul": ("Gol",), "Roya": ("Roia",), "Leila": ("Layla", "Laila"), "Mina": ("Meena",),
    "Soraya": ("Suraya",), "Homa": ("Huma",),
}
PERSIAN_FAMILY = {
    "Ahmadi": ("Ahmady",), "Hosseini": ("Husseini", "Hussaini"), "Mohammadi": ("Muhammadi",),
    "Rezaei": ("Rezaee", "Rezai"), "Karimi": ("Kareemi",), "Rahimi": ("Raheemi",),
    "Hashemi": ("Hashimi",), "Sadeghi": ("Sadiqi",), "Jafari": ("Jaafari",), "Azizi": ("Azeezi",),
    "Noori": ("Nouri", "Nuri"), "Haidari": ("Heydari", "Haideri"), "Popal": ("Popalzai",),
    "Stanikzai": ("Stanekzai",), "Safi": ("Saafi",), "Amiri": ("Ameeri",), "Sultani": ("Soltani",),
    "Wardak": ("Wardag",), "Nazari": ("Nazary",), "Yousufzai": ("Yousafzai", "Yusufzai"),
    "Ghani": ("Ghanee",), "Mirzaei": ("Mirzai",), "Akbari": ("Akbary",), "Qaderi": ("Ghaderi", "Kaderi"),
}
HORN_GIVEN_MALE = {
    "Abdi": ("Cabdi",), "Mohamed": ("Mohammed", "Maxamed"), "Ahmed": ("Axmed",), "Hassan": ("Xasan",),
    "Abdirahman": ("Abdurahman", "Cabdiraxmaan"), "Yonas": ("Yohannes", "Yohanes"),
    "Tesfaye": ("Tesfay",), "Dawit": ("Dawitt",), "Berhane": ("Birhane", "Berhanu"),
    "Kidane": ("Kidan",), "Girma": ("Girmah",), "Mulugeta": ("Mulugueta",), "Haile": ("Hayle",),
    "Abdullahi": ("Cabdullaahi",), "Yusuf": ("Yuusuf",), "Omar": ("Cumar",),
}
HORN_GIVEN_FEMALE = {
    "Fadumo": ("Faduma", "Fatuma"), "Hodan": ("Hodon",), "Amina": ("Aamina",), "Asha": ("Aisha",),
    "Halima": ("Xaliimo",), "Meron": ("Meeron",), "Selam": ("Selamawit",), "Hiwot": ("Hewot",),
    "Tigist": ("Tigest",), "Senait": ("Senayt",), "Hawa": ("Xawa",), "Sahra": ("Sahro",),
}
HORN_FAMILY = {
    "Mohamed": ("Mohammed", "Maxamed"), "Ali": ("Cali",), "Hassan": ("Xasan",), "Abdi": ("Cabdi",),
    "Farah": ("Faarax",), "Warsame": ("Warsama",), "Osman": ("Cismaan",), "Yusuf": ("Yuusuf",),
    "Ibrahim": ("Ibraahim",), "Jama": ("Jaama",), "Tesfaye": ("Tesfay",),
    "Gebremedhin": ("Gebre Medhin", "Gebremedin"), "Haile": ("Hayle",), "Kebede": ("Kebbede",),
    "Bekele": ("Bekelle",), "Tadesse": ("Tadese",), "Alemu": ("Alemmu",), "Assefa": ("Asefa",),
    "Wolde": ("Welde",), "Mengistu": ("Mengestu",), "Desta": ("Destah",), "Berhe": ("Berhie",),
    "Tekle": ("Teklay",), "Nur": ("Nuur",),
}
KOREAN_FAMILY = {
    "Kim": ("Gim",), "Lee": ("Yi", "Rhee"), "Park": ("Pak", "Bak"), "Choi": ("Choe",),
    "Jung": ("Jeong", "Chung"), "Kang": ("Gang",), "Cho": ("Jo",), "Yoon": ("Yun",),
    "Jang": ("Chang",), "Lim": ("Im",), "Han": ("Hahn",), "Oh": ("O",), "Seo": ("Suh",),
    "Shin": ("Sin",), "Kwon": ("Gwon",), "Hwang": ("Whang",), "Ahn": ("An",), "Song": ("Soung",),
    "Yoo": ("Yu", "Ryu"), "Hong": ("Houng",), "Jeon": ("Chun", "Jun"), "Ko": ("Go",),
    "Moon": ("Mun",), "Yang": ("Ryang",), "Son": ("Sohn",), "Bae": ("Pae",), "Baek": ("Paik",),
    "Heo": ("Huh", "Hur"), "Nam": ("Nahm",), "Noh": ("Roh",),
}
KOREAN_GIVEN_MALE = {
    "Min-jun": ("Minjun", "Min Jun"), "Ji-hoon": ("Jihoon", "Ji Hoon"), "Hyun-woo": ("Hyunwoo", "Hyeon-u"),
    "Jae-won": ("Jaewon",), "Dong-hyun": ("Donghyun", "Dong-hyeon"), "Sung-min": ("Seong-min", "Sungmin"),
    "Young-ho": ("Yeong-ho", "Youngho"), "Jin-woo": ("Jinwoo",), "Sang-hoon": ("Sanghoon",),
    "Kyung-soo": ("Gyeong-su", "Kyungsoo"), "Tae-yang": ("Taeyang",), "Seung-hyun": ("Seunghyun",),
}
KOREAN_GIVEN_FEMALE = {
    "Seo-yeon": ("Seoyeon",), "Ji-woo": ("Jiwoo",), "Su-bin": ("Subin",), "Eun-ji": ("Eunji",),
    "Ye-jin": ("Yejin",), "Hye-jin": ("Hyejin",), "Mi-kyung": ("Mi-gyeong", "Mikyung"),
    "So-young": ("Soyoung", "So-yeong"), "Ji-eun": ("Jieun",), "Hae-won": ("Haewon",),
    "Min-ji": ("Minji",), "Yu-na": ("Yuna",),
}
CHINESE_FAMILY_VARIANTS = {
    "Zhang": ("Chang", "Cheung"), "Wang": ("Wong",), "Li": ("Lee",), "Chen": ("Chan", "Chin"),
    "Liu": ("Lau", "Lew"), "Huang": ("Wong", "Hwang"), "Zhou": ("Chou", "Chow"), "Wu": ("Ng", "Woo"),
    "Zhao": ("Chao", "Chiu"), "Xu": ("Hsu", "Tsui"), "Zhu": ("Chu",), "Lin": ("Lam",),
    "Guo": ("Kuo", "Kwok"), "He": ("Ho",), "Gao": ("Kao",), "Luo": ("Lo", "Law"), "Zheng": ("Cheng",),
    "Liang": ("Leung",), "Xie": ("Hsieh", "Tse"), "Song": ("Sung",), "Tang": ("Tong",),
    "Feng": ("Fung",), "Deng": ("Teng",), "Cao": ("Tsao",), "Peng": ("Pang",), "Zeng": ("Tseng", "Tsang"),
    "Xiao": ("Hsiao", "Siu"), "Tian": ("Tien",), "Dong": ("Tung",), "Yuan": ("Yuen",), "Pan": ("Poon",),
    "Cai": ("Tsai", "Choi"), "Jiang": ("Chiang", "Kong"), "Ye": ("Yeh", "Yip"), "Su": ("Soo", "So"),
}
JAPANESE_VARIANTS = {
    "Sato": ("Satoh", "Satou"), "Kato": ("Katoh", "Katou"), "Ito": ("Itoh", "Itou"), "Saito": ("Saitoh",),
    "Goto": ("Gotoh",), "Endo": ("Endoh",), "Kondo": ("Kondoh",), "Ono": ("Ohno",), "Oshima": ("Ohshima",),
    "Yuki": ("Yuuki",), "Yuko": ("Yuuko",), "Yusuke": ("Yuusuke",), "Ryota": ("Ryouta",),
    "Kota": ("Kouta",), "Shota": ("Shouta",), "Kyoko": ("Kyouko",), "Yuta": ("Yuuta",),
}
NICKNAMES = {
    "Francisco": ("Paco", "Pancho"), "Guadalupe": ("Lupe",), "Jesús": ("Chuy",), "Jesus": ("Chuy",),
    "Alejandro": ("Alex",), "Roberto": ("Beto",), "Alberto": ("Beto",), "Eduardo": ("Lalo",),
    "Ignacio": ("Nacho",), "Enrique": ("Kike",), "Guillermo": ("Memo",), "Dolores": ("Lola",),
    "Concepción": ("Concha",), "Rosario": ("Chayo",), "William": ("Bill", "Will"), "Robert": ("Bob",),
    "Richard": ("Rick",), "Elizabeth": ("Liz", "Beth"), "Margaret": ("Peggy",), "Katherine": ("Kate",),
    "Michael": ("Mike",), "James": ("Jim",), "Christopher": ("Chris",), "Daniel": ("Dan",),
    "Anthony": ("Tony",), "Joseph": ("Joe",), "Thomas": ("Tom",), "Jennifer": ("Jen",),
    "Antonio": ("Toño",), "José": ("Pepe",), "Manuel": ("Manolo",), "Rafael": ("Rafa",),
}
# Cyrillic -> Latin under three schemes agencies actually use (BGN/PCGN-like, ICAO 9303, loose).
CYRILLIC_SCHEMES: tuple[dict[str, str], ...] = (
    {"х": "kh", "ж": "zh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "yu", "я": "ya",
     "й": "y", "ё": "yo", "ы": "y", "э": "e", "ь": "", "ъ": "", "є": "ye", "ї": "yi", "і": "i", "ґ": "g"},
    {"х": "kh", "ж": "zh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "iu", "я": "ia",
     "й": "i", "ё": "e", "ы": "y", "э": "e", "ь": "", "ъ": "ie", "є": "ie", "ї": "i", "і": "i", "ґ": "g"},
    {"х": "h", "ж": "j", "ц": "c", "ч": "ch", "ш": "sh", "щ": "sch", "ю": "ju", "я": "ja",
     "й": "j", "ё": "e", "ы": "i", "э": "e", "ь": "", "ъ": "", "є": "je", "ї": "ji", "і": "i", "ґ": "g"},
)
CYRILLIC_BASE = dict(zip("абвгдезиклмнопрстуфг", "abvgdeziklmnoprstufg", strict=True))
