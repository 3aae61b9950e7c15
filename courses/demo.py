"""Demo courses for `seed_demo`: three subjects, knowledge-point graphs, enrollments."""

from django.db import transaction

from courses.models import (
    BlockKind,
    Course,
    DeliveryMode,
    Lesson,
    Program,
    ProgramCourse,
)
from courses.services import authoring
from courses.services.enrollment import classroom_enroll
from courses.services.progress import lesson_complete
from lms.demo import DemoSchool

# code → (title, subject, level, description, {module: [(lesson, minutes, [kp], markdown)]})
COURSES = {
    "MATH-10": (
        "Algebra: equations and quadratics",
        "Mathematics",
        "senior",
        "Solve linear equations, then factor and solve quadratics.",
        {
            "Linear equations": [
                (
                    "What an equation says",
                    10,
                    ["Equations"],
                    "An **equation** states that two expressions are equal, e.g. $2x + 3 = 7$.\n\n"
                    "Solving it means finding every $x$ that makes it true.",
                ),
                (
                    "One-step equations",
                    15,
                    ["One-step equations"],
                    "Undo the operation on both sides:\n\n$$x + 5 = 12 \\iff x = 12 - 5 = 7$$",
                ),
                (
                    "Two-step equations",
                    15,
                    ["Two-step equations"],
                    "First undo addition, then multiplication:\n\n"
                    "$$3x + 4 = 19 \\iff 3x = 15 \\iff x = 5$$",
                ),
            ],
            "Quadratics": [
                (
                    "Factoring",
                    20,
                    ["Factoring"],
                    "If $x^2 + 5x + 6 = (x + 2)(x + 3) = 0$ then $x = -2$ or $x = -3$.",
                ),
                (
                    "The quadratic formula",
                    20,
                    ["Quadratic formula"],
                    "For $ax^2 + bx + c = 0$ with $a \\ne 0$:\n\n"
                    "$$x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}$$",
                ),
            ],
        },
    ),
    "ML-101": (
        "Introduction to machine learning",
        "Computer science",
        "university",
        "From linear regression to logistic regression, with the maths and the code.",
        {
            "Linear regression": [
                (
                    "Models and loss",
                    15,
                    ["Linear model", "Squared error"],
                    "A linear model predicts $\\hat y = w^\\top x + b$. Its **loss** on $n$ "
                    "examples is the mean squared error\n\n"
                    "$$L(w, b) = \\frac{1}{n} \\sum_{i=1}^{n} (y_i - \\hat y_i)^2$$",
                ),
                (
                    "Least squares",
                    20,
                    ["Least squares"],
                    "Setting the gradient to zero gives the normal equations "
                    "$X^\\top X w = X^\\top y$.",
                ),
                (
                    "Gradient descent",
                    20,
                    ["Gradient descent"],
                    "Step against the gradient: $w \\leftarrow w - \\eta \\nabla L(w)$.",
                ),
            ],
            "Logistic regression": [
                (
                    "The sigmoid and odds",
                    15,
                    ["Sigmoid"],
                    "$\\sigma(z) = \\frac{1}{1 + e^{-z}}$ turns a score into a probability.",
                ),
                (
                    "Cross-entropy loss",
                    20,
                    ["Cross-entropy"],
                    "$$L = -\\frac{1}{n}\\sum_i "
                    "\\left[y_i \\log p_i + (1 - y_i) \\log (1 - p_i)\\right]$$",
                ),
                (
                    "Decision boundaries",
                    15,
                    ["Classification threshold"],
                    "Predict class 1 when $p \\ge 0.5$, that is when $w^\\top x + b \\ge 0$.",
                ),
            ],
        },
    ),
    "CHN-7": (
        "唐诗选读 Tang poetry",
        "Chinese",
        "junior",
        "读李白、杜甫的名篇，体会意象与格律。",
        {
            "李白": [
                (
                    "静夜思",
                    10,
                    ["五言绝句"],
                    "床前明月光，疑是地上霜。\n\n举头望明月，低头思故乡。",
                ),
                ("望庐山瀑布", 10, ["意象"], "日照香炉生紫烟，遥看瀑布挂前川。"),
            ],
            "杜甫": [
                ("春望", 15, ["意象", "五言律诗"], "国破山河在，城春草木深。"),
            ],
        },
    ),
}

CODE_EXAMPLES = {
    "Least squares": (
        "python",
        "import numpy as np\n\n"
        "X = np.c_[np.ones(len(x)), x]\n"
        "w = np.linalg.solve(X.T @ X, X.T @ y)\n",
    ),
    "The sigmoid and odds": (
        "python",
        "import numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n",
    ),
}


@transaction.atomic
def seed_demo_courses(demo: DemoSchool) -> list[str]:
    teacher_for = {
        "MATH-10": demo.teachers[0],
        "ML-101": demo.teachers[1],
        "CHN-7": demo.teachers[0],
    }
    courses = {}
    for code, (title, subject, level, description, modules) in COURSES.items():
        existing = Course.objects.filter(school=demo.school, code=code).first()
        courses[code] = existing or _create_course(
            demo, code, title, subject, level, description, modules, teacher_for[code]
        )
    for code in ("MATH-10", "CHN-7"):
        classroom_enroll(classroom=demo.classroom, course=courses[code])
    program = Program.objects.filter(school=demo.school, title="Machine-learning engineer").first()
    if program is None:
        program = Program.objects.create(
            school=demo.school,
            title="Machine-learning engineer",
            goal="The mathematics and the methods behind everyday machine learning.",
            audience="engineers",
            level="university",
            is_published=True,
        )
        ProgramCourse.objects.create(
            program=program,
            course=courses["MATH-10"],
            position=0,
            delivery_mode=DeliveryMode.ONLINE,
            expected_weeks=4,
        )
        ProgramCourse.objects.create(
            program=program,
            course=courses["ML-101"],
            position=1,
            delivery_mode=DeliveryMode.BLENDED,
            expected_weeks=8,
        )
    # A little progress, so dashboards and rosters are not empty.
    first_lessons = Lesson.objects.filter(module__course=courses["MATH-10"]).order_by(
        "module__position", "position"
    )[:2]
    for student in demo.students[:5]:
        for lesson in first_lessons:
            lesson_complete(student=student, lesson=lesson)
    return [f"  courses       {', '.join(courses)} (the classroom takes MATH-10 and CHN-7)"]


def _create_course(demo, code, title, subject, level, description, modules, teacher) -> Course:
    course = authoring.course_create(
        school=demo.school,
        code=code,
        title=title,
        subject=subject,
        level=level,
        description=description,
        teachers=[teacher],
        tags=[subject.lower()],
    )
    knowledge_points = {}
    previous_lesson = None
    previous_point = None
    for module_title, lessons in modules.items():
        module = authoring.module_create(course=course, title=module_title)
        for lesson_title, minutes, point_names, body in lessons:
            points = []
            for name in point_names:
                if name not in knowledge_points:
                    knowledge_points[name] = authoring.knowledge_point_create(
                        course=course, name=name
                    )
                    if previous_point is not None:
                        authoring.knowledge_point_add_prerequisite(
                            knowledge_point=knowledge_points[name], prerequisite=previous_point
                        )
                    previous_point = knowledge_points[name]
                points.append(knowledge_points[name])
            lesson = authoring.lesson_create(
                module=module,
                title=lesson_title,
                estimated_minutes=minutes,
                knowledge_points=points,
            )
            authoring.block_create(lesson=lesson, kind=BlockKind.TEXT, body=body)
            if lesson_title in CODE_EXAMPLES:
                language, source = CODE_EXAMPLES[lesson_title]
                authoring.block_create(
                    lesson=lesson,
                    kind=BlockKind.CODE,
                    title="Example",
                    body=source,
                    language=language,
                )
            if previous_lesson is not None and code == "MATH-10":
                authoring.lesson_set_prerequisites(lesson=lesson, prerequisites=[previous_lesson])
            previous_lesson = lesson
    authoring.course_set_published(course=course, published=True)
    return course
