"""Words the generator builds names, addresses and texts from (all fictitious combinations)."""
from __future__ import annotations

# The most common Chinese surnames, roughly in order of frequency, and given-name characters.
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
                "汪方江")
GIVEN_CHARS = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红玉萍文辉力鹏飞斌宇浩凯俊欣怡梦琳晨阳思雨"
                   "佳子涵婷雪慧瑞博志海林峰")

# Street and road names for addresses and urban road segments (generic, found in many cities).
STREETS = ["人民路", "解放路", "新安路", "黄山路", "建设路", "长干路", "迎宾大道", "文化路", "滨江路", "中山路", "和平路",
           "环城路", "前园路", "延安路", "华山路", "昱中路", "龙井路", "栢山路", "天都大道", "齐云大道", "跃进路", "阳湖路"]
# Words for the names of townships, communities and institutions.
PLACE_WORDS = ["东城", "西城", "南苑", "北岸", "新城", "滨江", "城关", "花园", "阳光", "幸福", "和平", "文昌", "龙山",
               "凤凰", "桃源", "柳塘", "春晖", "金桥", "翠微", "青云", "仁和", "长青", "松林", "紫阳"]
NURSING_SUFFIXES = ["颐养院", "敬老院", "护理院", "康养中心", "福寿园"]

# Expressways and national/provincial roads crossing Anhui.
HIGHWAYS = ["G3京台高速", "G56杭瑞高速", "G205国道", "G318国道", "S11巢黄高速", "G4211宁芜高速", "G35济广高速", "S218省道",
            "G237国道", "S103省道"]

INDUSTRIES = [
    ("化工", "gas"), ("水泥建材", "gas"), ("造纸", "water"), ("电镀", "water"), ("印染", "water"),
    ("食品加工", "water"), ("污水处理厂", "water"), ("茶叶加工", "gas"), ("医药制造", "water"), ("热电", "gas"),
]
COMPANY_WORDS = ["恒达", "新源", "华信", "徽盛", "天成", "宏远", "绿洲", "金山", "永兴", "瑞丰", "中联", "安泰"]

# Where visitors come from: (province, city, weight). "其他" collects the rest of a province.
VISITOR_ORIGINS: list[tuple[str, str, float]] = [
    ("安徽省", "合肥市", 9.0), ("安徽省", "芜湖市", 3.0), ("安徽省", "安庆市", 2.5), ("安徽省", "宣城市", 2.0),
    ("安徽省", "马鞍山市", 1.5), ("安徽省", "其他", 6.0),
    ("浙江省", "杭州市", 6.5), ("浙江省", "宁波市", 2.5), ("浙江省", "温州市", 1.5), ("浙江省", "其他", 4.0),
    ("江苏省", "南京市", 4.0), ("江苏省", "苏州市", 3.0), ("江苏省", "无锡市", 1.5), ("江苏省", "其他", 3.5),
    ("上海市", "上海市", 10.0),
    ("广东省", "广州市", 2.0), ("广东省", "深圳市", 2.5), ("广东省", "其他", 1.0),
    ("北京市", "北京市", 3.0),
    ("江西省", "南昌市", 1.5), ("江西省", "其他", 2.0),
    ("山东省", "济南市", 1.0), ("山东省", "其他", 2.0),
    ("河南省", "郑州市", 1.0), ("河南省", "其他", 1.5),
    ("湖北省", "武汉市", 1.5), ("福建省", "福州市", 1.0), ("湖南省", "长沙市", 1.0), ("四川省", "成都市", 1.0),
    ("天津市", "天津市", 0.8), ("其他省份", "其他", 4.0), ("境外", "其他", 1.0),
]

# Visitor profile buckets: code, zh label, en label.
PROFILE_BUCKETS: dict[str, list[tuple[str, str, str]]] = {
    "age": [("<18", "18岁以下", "Under 18"), ("18-30", "18–30岁", "18–30"), ("31-45", "31–45岁", "31–45"),
            ("46-60", "46–60岁", "46–60"), (">60", "60岁以上", "Over 60")],
    "stay": [("1d", "1天", "1 day"), ("2d", "2天", "2 days"), ("3d", "3天", "3 days"), ("4d+", "4天及以上", "4+ days")],
}

# Home-care service kinds: code, zh, en.
HOME_CARE_KINDS: list[tuple[str, str, str]] = [
    ("meal", "助餐", "Meals"), ("medical", "助医", "Medical help"), ("emergency", "助急", "Emergency help"),
    ("daycare", "日间照料", "Day care"), ("personal_care", "生活护理", "Personal care"),
    ("health", "健康服务", "Health services"), ("housekeeping", "家政服务", "Housekeeping"),
    ("companionship", "精神慰藉", "Companionship"),
]
