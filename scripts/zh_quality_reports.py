"""Chinese for QA reports, consistency and calibration."""

ZH = {
    ("%(num)d reviewer has submitted.", "%(num)d reviewers have submitted."):
        "已有 %(num)d 位质检员提交评分。",
    ("%(num)d time", "%(num)d times"): "%(num)d 次",
    ": ": "：",
    "A share is the part of a reviewer's evaluations in which the item was deducted; marked "
    "where it differs from the others' by 5 points or more.":
        "比例指该质检员的评分中扣了此项的占比；与其他质检员相差 5 个百分点及以上时标出。",
    "Against the center": "与中心平均相比",
    "Agreement": "一致程度",
    "Average": "平均分",
    "Average score": "平均分",
    "Average score by day": "每日平均分",
    "Calibration": "校准",
    "Center": "中心",
    "Close the round": "结束本轮校准",
    "Close the round? The reviewers will see one another's scores.":
        "确定结束本轮校准吗？质检员将能看到彼此的评分。",
    "Consistency": "评分一致性",
    "Covers": "适用范围",
    "Day in the period": "期间内的任一天",
    "Deducted by": "扣分的质检员",
    "Differed": "与多数不同",
    "Distribution of scores": "分数分布",
    "Edit the item": "修改",
    "Enter a call's serial no. above to start one.": "在上方输入录音流水号即可开始一轮。",
    "Every reviewer scores the same call without seeing the others' scores. Calibration scores "
    "never count for the agent; the result shows where the reviewers agree and who differs.":
        "每位质检员在看不到他人评分的情况下为同一通录音评分。校准评分不计入座席员成绩；"
        "结果显示质检员在哪些项上一致、谁与多数不同。",
    "Export to Excel (.xlsx)": "导出 Excel（.xlsx）",
    "Fleiss' kappa": "Fleiss kappa 系数",
    "Highest": "最高分",
    "Items on which the reviewers agree": "质检员意见一致的扣分项比例",
    "Lowest": "最低分",
    "Month": "月",
    "Most deducted items": "扣分最多的项目",
    "No calibration rounds yet.": "还没有校准。",
    "No call has this serial no.": "没有该录音流水号的录音。",
    "No deductions in this period.": "这段时间没有扣分。",
    "No published evaluations in this period.": "这段时间没有已发布的质检评分。",
    "No published evaluations in this period. Choose another period, or score the day's "
    "sample first.": "这段时间没有已发布的质检评分。请换一个时间段，或先为当天抽取的录音评分。",
    "No reviewer has submitted a score yet.": "还没有质检员提交评分。",
    "Nobody has submitted a score yet.": "还没有人提交评分。",
    "Per": "统计维度",
    "Per %(group)s": "按%(group)s",
    "Per deduction item": "按扣分项",
    "Periods": "时间段",
    "Points deducted": "扣分合计",
    "QA reports": "质检报表",
    "Reviewer: %(name)s": "质检员：%(name)s",
    "Rule name": "标准名称",
    "Score it blind": "独立评分",
    "Scorecard name": "质检表名称",
    "Scores": "评分",
    "Start a round on this call": "以这通录音开始校准",
    "The calibration round is open: every reviewer scores the call blind.":
        "校准已开始：每位质检员独立为这通录音评分。",
    "The others' scores show here once the supervisor closes the round.":
        "主管结束本轮后，这里会显示其他人的评分。",
    "The round is closed.": "本轮校准已结束。",
    "The same fault must cost the same points whoever scores it. Here each reviewer's average is "
    "set against the center's, and for each deduction item how often each reviewer deducts it "
    "against how often the other reviewers do.":
        "同样的问题无论由谁评分都应扣同样的分。这里对比每位质检员的平均分与中心平均分，"
        "以及每个扣分项上各质检员的扣分频率与其他质检员的差异。",
    "The sample of a day is drawn on that day, from the calls it brings.":
        "某一天的录音要在当天、按当天的通话记录抽取。",
    "Times": "次数",
    "Week": "周",
    "closed": "已结束",
    "most lenient": "最宽松",
    "my score: %(n)d": "我的评分：%(n)d",
    "needs two reviewers": "需要至少两位质检员",
    "not published yet": "尚未发布",
    "open": "进行中",
    "others %(rate)s": "其他人 %(rate)s",
    "strictest": "最严格",
}
