"""What the sandbox's customers say: natural posts and direct messages in English, Russian, Belarusian
and Arabic.

Plain data for the traffic generator. `{order}` is filled with an order
number. Kinds: complaint, question, praise (a new post) and follow_up (a
reply inside a thread); PRIVATE_PHRASES are direct messages. CUSTOMERS are
the recurring people who write them.
"""

PHRASES = {
    "en": {
        "complaint": [
            "My order #{order} was supposed to arrive on Monday and it's still not here.",
            "I've been on hold for 40 minutes and nobody picks up. Seriously?",
            "The app logs me out every time I try to pay. Please fix it.",
            "You charged my card twice for the same order. I want my money back.",
            "The courier left my parcel in the rain outside the building. Everything is soaked.",
            "Third time asking: where is my refund for order #{order}?",
            "The box arrived crushed and the glass inside was broken.",
            "Your tracking page has said 'out for delivery' for three days now.",
            "I got someone else's order. Mine is nowhere to be seen.",
            "The promo code from your newsletter doesn't work at checkout.",
            "Support closed my ticket without even answering it.",
            "The delivery window was 9 to 12. It's 4pm and still nothing.",
            "Half of my groceries were missing, but the receipt says everything was delivered.",
            "After the last update the app shows a blank screen when I open my orders.",
            "I can't add my new card, the app just says 'Something went wrong'.",
        ],
        "question": [
            "Hi! Do you deliver on Sundays?",
            "How do I change the delivery address on an order I've already placed?",
            "Is there a way to return an item without the original box?",
            "Can I pay on delivery, or only by card?",
            "When will the large size be back in stock?",
            "How long does a refund usually take to show up on my card?",
            "Do you have a phone number I can call instead of chatting?",
            "Can I pick up my order myself instead of waiting for the courier?",
            "Is the student discount still running this month?",
            "Quick question: does the warranty cover water damage?",
            "How do I delete my account and all my data?",
            "Has order #{order} shipped yet? The app shows nothing.",
        ],
        "praise": [
            "Just wanted to say your support team sorted my problem in five minutes. Thank you!",
            "Delivery came a day early, well packed, and the courier was lovely.",
            "Best customer service I've dealt with this year, honestly.",
            "Thanks to Anna from support for being so patient with me today.",
            "The refund arrived the same day. Didn't expect that, great job.",
            "The new app update is so much faster, love it.",
            "Ordered at 10pm, had it by lunch the next day. Impressive.",
            "You replaced the broken item without any questions. That's how it should be done.",
            "Really appreciate the quick reply yesterday, everything works now.",
            "Three years with you and not a single problem. Keep it up!",
        ],
        "follow_up": [
            "Any update on this?",
            "Still waiting, it's been two days.",
            "Thanks, that worked!",
            "I've sent you a DM with the order number.",
            "That doesn't really answer my question.",
            "Okay, I'll try that and let you know.",
            "Great, thank you for the quick reply!",
            "Same problem here, by the way.",
            "It happened again today.",
            "The order number is #{order}.",
        ],
    },
    "ru": {
        "complaint": [
            "Заказ #{order} должны были привезти в понедельник, а его до сих пор нет.",
            "Уже сорок минут вишу на линии, никто не отвечает. Серьёзно?",
            "Приложение выкидывает из аккаунта каждый раз, когда я пытаюсь оплатить.",
            "С карты дважды списали деньги за один и тот же заказ. Верните, пожалуйста.",
            "Курьер оставил посылку под дождём у подъезда, всё промокло.",
            "Третий раз спрашиваю: где возврат за заказ #{order}?",
            "Коробка пришла помятая, стекло внутри разбито.",
            "Статус «передан курьеру» висит уже третий день.",
            "Мне привезли чужой заказ, а мой непонятно где.",
            "Промокод из вашей рассылки не работает при оформлении.",
            "Поддержка закрыла моё обращение, даже не ответив.",
            "Обещали доставку с 9 до 12, уже четыре часа дня — никого.",
            "После обновления приложение показывает пустой экран в разделе заказов.",
            "Не получается привязать новую карту, приложение пишет «Что-то пошло не так».",
        ],
        "question": [
            "Здравствуйте! Вы доставляете по воскресеньям?",
            "Как изменить адрес доставки в уже оформленном заказе?",
            "Можно ли вернуть товар без оригинальной упаковки?",
            "Оплата при получении возможна или только картой?",
            "Когда снова появится большой размер?",
            "Сколько обычно идёт возврат денег на карту?",
            "Есть номер телефона, по которому можно позвонить?",
            "Можно забрать заказ самому, не дожидаясь курьера?",
            "Скидка для студентов в этом месяце ещё действует?",
            "Подскажите, гарантия покрывает попадание воды?",
            "Как удалить аккаунт и все мои данные?",
            "Заказ #{order} уже отправлен? В приложении ничего не видно.",
        ],
        "praise": [
            "Хочу поблагодарить поддержку: решили мой вопрос за пять минут!",
            "Доставили на день раньше, всё аккуратно упаковано. Спасибо!",
            "Лучший сервис, с которым я сталкивалась в этом году, честно.",
            "Спасибо Анне из поддержки за терпение.",
            "Деньги вернули в тот же день. Не ожидал, приятно удивлён.",
            "Новое обновление приложения работает намного быстрее, класс.",
            "Заказала вечером, а на следующий день к обеду уже всё было.",
            "Заменили бракованный товар без лишних вопросов. Вот это сервис.",
            "Спасибо за быстрый ответ вчера, всё заработало.",
            "Три года с вами и ни одной проблемы. Так держать!",
        ],
        "follow_up": [
            "Есть новости по моему вопросу?",
            "Всё ещё жду, прошло уже два дня.",
            "Спасибо, помогло!",
            "Написал вам в личные сообщения номер заказа.",
            "Это не совсем ответ на мой вопрос.",
            "Хорошо, попробую и отпишусь.",
            "Отлично, спасибо за быстрый ответ!",
            "У меня такая же проблема, кстати.",
            "Сегодня опять то же самое.",
            "Номер заказа #{order}.",
        ],
    },
    "be": {
        "complaint": [
            "Замову #{order} павінны былі прывезці ў панядзелак, а яе дагэтуль няма.",
            "Ужо сорак хвілін чакаю на лініі, ніхто не адказвае.",
            "Праграма выкідвае мяне з акаўнта кожны раз, калі спрабую заплаціць.",
            "З карткі двойчы спісалі грошы за адну і тую ж замову. Вярніце, калі ласка.",
            "Кур'ер пакінуў пасылку пад дажджом каля пад'езда, усё прамокла.",
            "Трэці раз пытаюся: дзе вяртанне грошай за замову #{order}?",
            "Скрынка прыйшла змятая, шкло ўсярэдзіне разбітае.",
            "Статус «перададзена кур'еру» вісіць ужо трэці дзень.",
            "Мне прывезлі чужую замову, а мая невядома дзе.",
            "Промакод з вашай рассылкі не працуе пры афармленні.",
            "Падтрымка закрыла мой зварот, нават не адказаўшы.",
            "Абяцалі дастаўку з 9 да 12, ужо чацвёртая гадзіна — нікога.",
            "Пасля абнаўлення праграма паказвае пусты экран у раздзеле замоў.",
            "Не атрымліваецца дадаць новую картку, праграма піша «Нешта пайшло не так».",
        ],
        "question": [
            "Добры дзень! Вы дастаўляеце па нядзелях?",
            "Як змяніць адрас дастаўкі ў замове, якую я ўжо аформіў?",
            "Ці можна вярнуць тавар без арыгінальнай упакоўкі?",
            "Можна заплаціць пры атрыманні ці толькі карткай?",
            "Калі зноў з'явіцца вялікі памер?",
            "Колькі звычайна ідзе вяртанне грошай на картку?",
            "Ці ёсць нумар тэлефона, па якім можна патэлефанаваць?",
            "Ці магу я забраць замову сам, не чакаючы кур'ера?",
            "Студэнцкая зніжка ў гэтым месяцы яшчэ дзейнічае?",
            "Падкажыце, ці пакрывае гарантыя трапленне вады?",
            "Як выдаліць акаўнт і ўсе мае даныя?",
            "Замова #{order} ужо адпраўлена? У праграме нічога не відаць.",
        ],
        "praise": [
            "Хачу падзякаваць падтрымцы: вырашылі маё пытанне за пяць хвілін!",
            "Прывезлі на дзень раней, усё акуратна спакавана. Дзякуй!",
            "Найлепшы сэрвіс, з якім я сутыкнулася ў гэтым годзе, шчыра.",
            "Дзякуй Ганне з падтрымкі за цярплівасць.",
            "Грошы вярнулі ў той жа дзень. Не чакаў, прыемна здзіўлены.",
            "Новае абнаўленне праграмы працуе значна хутчэй, клас.",
            "Замовіла ўвечары, а назаўтра да абеду ўжо ўсё было.",
            "Замянілі бракаваны тавар без лішніх пытанняў. Вось гэта сэрвіс.",
            "Дзякуй за хуткі адказ учора, усё запрацавала.",
            "Тры гады з вамі і ніводнай праблемы. Так трымаць!",
        ],
        "follow_up": [
            "Ёсць навіны па маім пытанні?",
            "Усё яшчэ чакаю, прайшло ўжо два дні.",
            "Дзякуй, дапамагло!",
            "Напісаў вам у асабістыя паведамленні нумар замовы.",
            "Гэта не зусім адказ на маё пытанне.",
            "Добра, паспрабую і адпішуся.",
            "Выдатна, дзякуй за хуткі адказ!",
            "У мяне такая ж праблема, дарэчы.",
            "Сёння зноў тое ж самае.",
            "Нумар замовы #{order}.",
        ],
    },
    "ar": {
        "complaint": [
            "كان من المفترض أن يصل طلبي رقم {order} يوم الاثنين وما زال لم يصل حتى الآن.",
            "أنتظر على الخط منذ أربعين دقيقة ولا أحد يرد.",
            "التطبيق يخرجني من حسابي في كل مرة أحاول فيها الدفع.",
            "تم خصم المبلغ من بطاقتي مرتين لنفس الطلب. أريد استرداد أموالي.",
            "ترك المندوب الطرد تحت المطر أمام العمارة وتبلل كل شيء.",
            "للمرة الثالثة أسأل: أين استرداد المبلغ للطلب رقم {order}؟",
            "وصل الصندوق مهروسًا والزجاج بداخله مكسور.",
            "حالة الطلب «خرج للتوصيل» منذ ثلاثة أيام.",
            "وصلني طلب شخص آخر، وطلبي لا أعرف أين هو.",
            "كود الخصم من رسالتكم البريدية لا يعمل عند الدفع.",
            "أغلق فريق الدعم تذكرتي دون أن يرد عليها.",
            "موعد التوصيل كان من التاسعة إلى الثانية عشرة، والساعة الآن الرابعة ولم يأتِ أحد.",
            "بعد التحديث الأخير صار التطبيق يعرض شاشة بيضاء لما أفتح طلباتي.",
            "ما أقدر أضيف بطاقتي الجديدة، التطبيق يقول «حدث خطأ ما».",
        ],
        "question": [
            "مرحبًا! هل يوجد توصيل يوم الجمعة؟",
            "كيف يمكنني تغيير عنوان التوصيل لطلب قمت به بالفعل؟",
            "هل يمكن إرجاع المنتج بدون العلبة الأصلية؟",
            "هل الدفع عند الاستلام متاح أم بالبطاقة فقط؟",
            "متى سيتوفر المقاس الكبير مرة أخرى؟",
            "كم يستغرق استرداد المبلغ إلى البطاقة عادةً؟",
            "هل لديكم رقم هاتف يمكنني الاتصال به؟",
            "هل يمكنني استلام الطلب بنفسي بدلًا من انتظار المندوب؟",
            "هل خصم الطلاب ما زال متاحًا هذا الشهر؟",
            "سؤال سريع: هل يشمل الضمان أضرار المياه؟",
            "كيف أحذف حسابي وجميع بياناتي؟",
            "هل تم شحن الطلب رقم {order}؟ التطبيق لا يُظهر أي شيء.",
        ],
        "praise": [
            "أردت فقط أن أشكر فريق الدعم، حلّوا مشكلتي في خمس دقائق!",
            "وصل الطلب قبل موعده بيوم ومغلف بعناية. شكرًا لكم!",
            "أفضل خدمة عملاء تعاملت معها هذا العام بصراحة.",
            "شكرًا لسارة من فريق الدعم على صبرها معي اليوم.",
            "تم استرداد المبلغ في نفس اليوم، لم أتوقع ذلك. عمل رائع.",
            "التحديث الجديد للتطبيق أسرع بكثير، أحببته.",
            "طلبت في المساء ووصلني قبل الظهر في اليوم التالي. مذهل.",
            "استبدلتم المنتج التالف دون أي أسئلة. هكذا تكون الخدمة.",
            "أقدّر ردكم السريع أمس، كل شيء يعمل الآن.",
            "ثلاث سنوات معكم ولم تواجهني مشكلة واحدة. استمروا!",
        ],
        "follow_up": [
            "هل من جديد بخصوص طلبي؟",
            "ما زلت أنتظر، مرّ يومان.",
            "شكرًا، تم حل المشكلة!",
            "أرسلت لكم رقم الطلب في رسالة خاصة.",
            "هذا لا يجيب على سؤالي.",
            "حسنًا، سأجرب ذلك وأخبركم.",
            "ممتاز، شكرًا على الرد السريع!",
            "نفس المشكلة عندي بالمناسبة.",
            "تكرر الأمر اليوم مرة أخرى.",
            "وين طلبي؟ صار لي أسبوع أنتظر.",
            "الله يعطيكم العافية، وصلني الطلب.",
            "رقم الطلب {order}.",
        ],
    },
}

# What the brand page publishes now and then (comments need somewhere to go).
PAGE_POSTS = {
    "en": [
        "Our support team is online every day from 8am to 10pm. Drop your questions below!",
        "Weekend sale: 20% off everything in the app until Sunday night.",
        "We've updated our returns policy: you now have 60 days to send items back.",
        "Heads up: deliveries may run late today because of the storm. Thanks for your patience.",
        "Tell us: what should we improve next in the app?",
        "New pickup points are open in five more cities. Is yours on the list?",
    ],
    "ru": [
        "Мы открыли новые пункты выдачи ещё в пяти городах. Ваш уже в списке?",
        "Расскажите, что нам улучшить в приложении в первую очередь?",
    ],
    "be": [
        "Адкрылі новыя пункты выдачы яшчэ ў пяці гарадах. Ваш ужо ў спісе?",
    ],
    "ar": [
        "فريق الدعم متاح يوميًا من الثامنة صباحًا حتى العاشرة مساءً. اتركوا أسئلتكم في التعليقات!",
    ],
}

EMOJI = {
    "complaint": ["😡", "😤", "🙄", "😞", "👎", "😠", "🤬"],
    "question": ["🤔", "🙏", "❓", "👀", "🙂"],
    "praise": ["❤️", "🙌", "👏", "😍", "🎉", "👍", "🔥", "💯"],
    "follow_up": ["⏳", "🙏", "😕", "👍", "🙂"],
}

# Recurring customers: (X handle, display name) fitting each language.
CUSTOMERS = {
    "en": [
        ("sarah_mitch", "Sarah Mitchell"), ("jdoyle88", "James Doyle"), ("priya_k", "Priya Kapoor"),
        ("mike_t_runs", "Mike Turner"), ("emilyrosewrites", "Emily Rose"), ("danny_okafor", "Daniel Okafor"),
        ("lucy_harper", "Lucy Harper"),
    ],
    "ru": [
        ("anna_smirnova", "Анна Смирнова"), ("d_volkov", "Дмитрий Волков"), ("katya_lebedeva", "Катя Лебедева"),
        ("sergey_ivanov77", "Сергей Иванов"), ("olga_kuz", "Ольга Кузнецова"), ("maxim_petrov", "Максим Петров"),
    ],
    "be": [
        ("ales_kavaliou", "Алесь Кавалёў"), ("hanna_lis", "Ганна Ліс"), ("yas_navumenka", "Ясь Навуменка"),
        ("kastus_m", "Кастусь Міхалевіч"), ("alesia_zaitsava", "Алеся Зайцава"),
    ],
    "ar": [
        ("ahmed_alharbi", "أحمد الحربي"), ("sara_khalid", "سارة خالد"), ("omar_mansour", "عمر منصور"),
        ("fatima_zahra", "فاطمة الزهراء"), ("youssef_haddad", "يوسف حداد"), ("layla_nasser", "ليلى ناصر"),
    ],
}

# How often each language shows up in generated traffic.
LANGUAGE_WEIGHTS = {"en": 5, "ru": 3, "be": 1, "ar": 2}

# Direct messages (X DMs, Messenger). `{order}` is an order number, `{address}` a made-up address from
# ADDRESSES: the private half is where customers give details they would not post publicly.
# Kinds: moved (a customer who wrote publicly continues in private), private (someone who only writes in
# private), private_follow_up (a later message in a private conversation).
PRIVATE_PHRASES = {
    "en": {
        "moved": [
            "Hi, it's about my post earlier. The order number is #{order}.",
            "As promised, here are the details: order #{order}, delivery to {address}.",
            "Following up from the comments: order #{order}, the parcel should have gone to {address}.",
            "Here's my order number: #{order}. I'd rather not post my address publicly, it's {address}.",
        ],
        "private": [
            "Hello, my order #{order} hasn't arrived. The address on it is {address}.",
            "Hi, can you change the delivery address for order #{order} to {address}?",
            "I was charged twice for order #{order}. Can you check, please?",
            "The courier says nobody was home at {address}, but I was there all day. Order #{order}.",
            "Quick question about order #{order}: can I pick it up instead of delivery?",
        ],
        "private_follow_up": [
            "Any news on order #{order}?",
            "Thanks! And the flat number is 12, the buzzer doesn't work.",
            "I'm at home until 6pm today if that helps.",
            "It's been a day and I still haven't heard back.",
            "Got it, thank you so much!",
        ],
    },
    "ru": {
        "moved": [
            "Здравствуйте, это по поводу моего поста. Номер заказа #{order}.",
            "Как и обещал, детали: заказ #{order}, доставка на адрес {address}.",
            "Пишу из комментариев: заказ #{order}, посылка должна была прийти на {address}.",
        ],
        "private": [
            "Здравствуйте, заказ #{order} так и не пришёл. Адрес в заказе: {address}.",
            "Можно поменять адрес доставки заказа #{order} на {address}?",
            "За заказ #{order} списали деньги дважды. Проверьте, пожалуйста.",
            "Курьер пишет, что по адресу {address} никого не было, но я весь день дома. Заказ #{order}.",
        ],
        "private_follow_up": [
            "Есть новости по заказу #{order}?",
            "Спасибо! Квартира 12, домофон не работает.",
            "Я дома сегодня до шести, если что.",
            "Прошли сутки, а ответа всё нет.",
            "Понял, большое спасибо!",
        ],
    },
    "be": {
        "moved": [
            "Добры дзень, гэта наконт майго допісу. Нумар замовы #{order}.",
            "Як і абяцаў, падрабязнасці: замова #{order}, дастаўка на адрас {address}.",
            "Пішу з каментароў: замова #{order}, пасылка павінна была прыйсці на {address}.",
        ],
        "private": [
            "Добры дзень, замова #{order} так і не прыйшла. Адрас у замове: {address}.",
            "Ці можна змяніць адрас дастаўкі замовы #{order} на {address}?",
            "За замову #{order} двойчы спісалі грошы. Праверце, калі ласка.",
        ],
        "private_follow_up": [
            "Ёсць навіны па замове #{order}?",
            "Дзякуй! Кватэра 12, дамафон не працуе.",
            "Я сёння дома да шостай, калі што.",
            "Зразумеў, вялікі дзякуй!",
        ],
    },
    "ar": {
        "moved": [
            "مرحبًا، بخصوص منشوري السابق: رقم الطلب {order}.",
            "كما وعدت، التفاصيل: الطلب رقم {order}، التوصيل إلى {address}.",
            "أكمل هنا من التعليقات: الطلب رقم {order} كان يجب أن يصل إلى {address}.",
        ],
        "private": [
            "مرحبًا، الطلب رقم {order} لم يصل. العنوان في الطلب: {address}.",
            "هل يمكن تغيير عنوان التوصيل للطلب رقم {order} إلى {address}؟",
            "تم خصم مبلغ الطلب رقم {order} مرتين. أرجو التحقق.",
        ],
        "private_follow_up": [
            "هل من جديد بخصوص الطلب رقم {order}؟",
            "شكرًا! الشقة رقم 12 والجرس لا يعمل.",
            "أنا في البيت اليوم حتى السادسة مساءً.",
            "تمام، شكرًا جزيلًا!",
        ],
    },
}

# Made-up addresses (fictional streets; never real data), with a house number filled in.
ADDRESSES = {
    "en": ["{n} Sandbox Lane, Exampleton", "{n} Placeholder Road, flat 3, Testford", "{n} Demo Street, Sampleby"],
    "ru": ["ул. Примерная, д. {n}, кв. 7, г. Образцово", "пр. Песочный, д. {n}, г. Тестовск"],
    "be": ["вул. Узорная, д. {n}, кв. 5, г. Прыкладаўск", "пр. Пясочны, д. {n}, г. Тэставічы"],
    "ar": ["شارع المثال، مبنى {n}، مدينة النموذج", "حي التجربة، شارع {n}، مدينة العيّنة"],
}

# The brand answering a direct message natively (from the X app or the Page inbox, outside Carebox).
BRAND_PRIVATE_ANSWERS = {
    "en": ["Thanks, I've found your order and passed it to the delivery team. We'll update you today.",
           "Got it, thank you! The address is updated.",
           "Sorry for the trouble. The refund for the double charge is on its way."],
    "ru": ["Спасибо, нашли ваш заказ и передали службе доставки. Сегодня напишем, что с ним.",
           "Принято, спасибо! Адрес обновили.",
           "Простите за неудобства. Возврат лишнего списания уже оформлен."],
    "be": ["Дзякуй, знайшлі вашу замову і перадалі службе дастаўкі. Сёння напішам, што з ёй.",
           "Прынята, дзякуй! Адрас абнавілі."],
    "ar": ["شكرًا، وجدنا طلبك وحوّلناه لفريق التوصيل. سنطلعك على المستجدات اليوم.",
           "تم، شكرًا لك! حدّثنا العنوان."],
}

# Waves (app/sandbox/traffic_waves.py). Spam: near-identical promotional comments with a link, posted by
# throwaway accounts within a minute or two; `{link}` is filled from SPAM_LINKS, `{code}` with a random code.
SPAM = {
    "en": [
        "🔥 FLASH SALE: 90% off everything today only! Grab yours before it's gone 👉 {link}",
        "Want free gift cards? I got $500 in 10 minutes, just sign up here 👉 {link}",
        "Make $3,000 a week from home, no experience needed! Details: {link}",
    ],
    "ru": [
        "🔥 Распродажа: скидки до 90% только сегодня! Успейте по ссылке 👉 {link}",
        "Подарочные сертификаты бесплатно! Я получила 5000 ₽ за 10 минут, регистрируйтесь тут 👉 {link}",
        "Заработок от 100 000 ₽ в неделю из дома, без опыта! Подробности: {link}",
    ],
    "be": [
        "🔥 Распродаж: зніжкі да 90% толькі сёння! Паспейце па спасылцы 👉 {link}",
        "Бясплатныя падарункавыя сертыфікаты! Я атрымала 200 рублёў за 10 хвілін, рэгіструйцеся тут 👉 {link}",
    ],
    "ar": [
        "🔥 تخفيضات 90% على كل شيء اليوم فقط! سارع بالطلب من هنا 👉 {link}",
        "بطاقات هدايا مجانية! حصلت على 500 دولار في 10 دقائق، سجّل من هنا 👉 {link}",
        "اربح 3000 دولار أسبوعيًا من المنزل بدون خبرة! التفاصيل: {link}",
    ],
}
SPAM_LINKS = ["https://mega-deals.example/{code}", "https://free-gift.example/claim?ref={code}",
              "http://promo-win.example/p/{code}", "https://earn-fast.example/join/{code}"]
SPAM_ACCOUNTS = [
    ("deals_hub_24", "Deals Hub 24"), ("mega_promo_official", "Mega Promo"), ("giftcard_winner2", "Gift Card Winner"),
    ("earn_from_home_now", "Earn From Home"), ("flash_sale_daily", "Flash Sale Daily"),
    ("skidki_segodnya", "Скидки Сегодня"), ("arbah_alan", "اربح الآن"), ("lucky_draw_club", "Lucky Draw Club"),
]

# Complaint bursts: many customers at once, in every language, about the one thing that went wrong.
COMPLAINT_BURSTS = {
    "app_outage": {
        "en": [
            "Is your app down? It won't even open for me since this morning.",
            "Can't log in to the app at all, it just spins forever. What's going on?",
            "Your app keeps crashing at checkout, I've tried five times now.",
            "App down again?? I can't see any of my orders.",
            "The website and the app both give me error 503. Please fix it.",
            "Tried to pay three times and the app froze every single time. Unacceptable.",
        ],
        "ru": [
            "У вас приложение лежит? С утра не открывается.",
            "Не могу войти в приложение, бесконечная загрузка. Что происходит?",
            "Приложение вылетает на оплате, пробовала уже пять раз.",
            "Опять всё сломалось? Не вижу ни одного своего заказа.",
            "И сайт, и приложение выдают ошибку 503. Почините, пожалуйста.",
        ],
        "be": [
            "У вас праграма не працуе? З раніцы не адкрываецца.",
            "Не магу ўвайсці ў праграму, бясконцая загрузка. Што здарылася?",
            "Праграма вылятае пры аплаце, спрабаваў ужо пяць разоў.",
            "Зноў усё зламалася? Не бачу ніводнай сваёй замовы.",
        ],
        "ar": [
            "هل التطبيق معطّل؟ لا يفتح عندي منذ الصباح.",
            "لا أستطيع تسجيل الدخول إلى التطبيق، يبقى يحمّل بلا نهاية. ما الذي يحدث؟",
            "التطبيق يتوقف عند الدفع، حاولت خمس مرات.",
            "عطل مرة أخرى؟ لا أرى أيًّا من طلباتي.",
            "الموقع والتطبيق كلاهما يعطيان الخطأ 503. أصلحوه من فضلكم.",
        ],
    },
    "double_charge": {
        "en": [
            "You charged my card twice for order #{order}. I want the second payment back now.",
            "Just checked my bank app: two identical payments to you today. What is this?",
            "Double charged AGAIN. Is anyone else seeing this?",
            "My card was charged twice and the order still shows as unpaid.",
            "Two charges for one order #{order}. Refund the duplicate, please.",
        ],
        "ru": [
            "С карты дважды списали деньги за заказ #{order}. Верните второй платёж.",
            "Посмотрела в банке: сегодня два одинаковых списания в вашу пользу. Что это?",
            "Снова двойное списание! У кого-то ещё так?",
            "Деньги списали два раза, а заказ всё равно висит как неоплаченный.",
        ],
        "be": [
            "З карткі двойчы спісалі грошы за замову #{order}. Вярніце другі плацёж.",
            "Паглядзела ў банку: сёння два аднолькавыя спісанні на вашу карысць. Што гэта?",
            "Зноў двайное спісанне! У каго яшчэ так?",
            "Грошы спісалі два разы, а замова ўсё роўна няаплачаная.",
        ],
        "ar": [
            "خصمتم المبلغ من بطاقتي مرتين للطلب رقم {order}. أعيدوا الدفعة الثانية.",
            "راجعت تطبيق البنك: دفعتان متطابقتان لكم اليوم. ما هذا؟",
            "خصم مزدوج مرة أخرى! هل يحدث هذا مع أحد غيري؟",
            "تم الخصم مرتين وما زال الطلب يظهر غير مدفوع.",
        ],
    },
    "late_delivery": {
        "en": [
            "Every order in our area is late today. Mine, #{order}, was due at noon.",
            "The courier never showed up and the tracking hasn't moved since yesterday.",
            "Third day of 'out for delivery'. What is happening with your couriers?",
            "The whole neighbourhood is waiting for deliveries and nobody answers the hotline.",
            "Order #{order} is marked delivered but there's nothing at my door. Not the first time this week.",
        ],
        "ru": [
            "Сегодня все заказы в нашем районе опаздывают. Мой #{order} должны были привезти к обеду.",
            "Курьер так и не приехал, отслеживание стоит со вчерашнего дня.",
            "Третий день «передан курьеру». Что у вас с доставкой?",
            "Заказ #{order} отмечен как доставленный, но у двери ничего нет.",
        ],
        "be": [
            "Сёння ўсе замовы ў нашым раёне спазняюцца. Маю #{order} павінны былі прывезці да абеду.",
            "Кур'ер так і не прыехаў, адсочванне стаіць з учорашняга дня.",
            "Трэці дзень «перададзена кур'еру». Што ў вас з дастаўкай?",
            "Замова #{order} пазначана як дастаўленая, але каля дзвярэй нічога няма.",
        ],
        "ar": [
            "كل الطلبات في منطقتنا متأخرة اليوم. طلبي رقم {order} كان موعده الظهر.",
            "المندوب لم يصل، والتتبع لم يتحرك منذ أمس.",
            "اليوم الثالث على حالة «خرج للتوصيل». ماذا يحدث مع مندوبيكم؟",
            "الطلب رقم {order} مسجّل كمُسلَّم لكن لا شيء عند بابي.",
        ],
    },
}
