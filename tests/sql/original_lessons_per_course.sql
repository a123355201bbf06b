WITH 
	h_courses_lessons_grouped AS (
		SELECT
			h_course_title,
			h_lesson_title
		FROM
	    	dm_courses_modules_lessons_streams
		GROUP BY
			h_course_title,
			h_lesson_title
) 
SELECT 
	h_course_title AS course_title,
	COUNT(h_lesson_title) AS lessons_qty
FROM 
	h_courses_lessons_grouped
GROUP BY
	h_course_title;
